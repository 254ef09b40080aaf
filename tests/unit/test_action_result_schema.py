"""The custom-action result check built once gives Rasa's verdicts and errors, without the schema re-check."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

import bot.channels.twilio  # noqa: F401  (the Rasa server's channel installs the check)
from bot.dialogue import action_result_schema


VALID = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "handoff_offered", "value": True, "timestamp": None}],
     "responses": [{"text": "A health visitor can contact you.", "buttons": []}]},
    {"responses": [{"response": "utter_offer_handoff"}]},
]
INVALID = [
    {"events": "not a list", "responses": []},
    {"events": [{"event": "no_such_event"}], "responses": []},
    {"events": [], "responses": ["a string, not an object"]},
]


def stock_check(result: dict) -> None:
    """What Rasa 3.6 runs: jsonschema.validate, which checks the schema first every time."""
    from jsonschema import validate
    validate(result, RemoteAction.action_response_format_spec())


def test_the_rasa_server_uses_the_check_built_once():
    assert RemoteAction._validate_action_result is action_result_schema.validate_action_result


@pytest.mark.parametrize("result", VALID)
def test_a_valid_action_result_passes_as_it_does_in_rasa(result):
    stock_check(result)
    assert action_result_schema.validate_action_result(RemoteAction("action_offer_handoff", None), result)


@pytest.mark.parametrize("result", INVALID)
def test_an_invalid_action_result_raises_rasas_error_with_rasas_advice(result):
    with pytest.raises(ValidationError) as stock:
        stock_check(result)
    with pytest.raises(ValidationError) as ours:
        action_result_schema.validate_action_result(RemoteAction("action_offer_handoff", None), result)
    assert ours.value.message.startswith(stock.value.message)
    assert ours.value.message.endswith("/custom-actions")
    assert list(ours.value.path) == list(stock.value.path)


_EVENT_SCHEMAS = RemoteAction.action_response_format_spec()["properties"]["events"]["items"]["oneOf"]
_EVENT_NAMES = [kind["properties"]["event"]["const"] for kind in _EVENT_SCHEMAS] + ["no_such_event"]
_FIELDS = sorted({field for kind in _EVENT_SCHEMAS for field in kind["properties"]} | {"timestamp", "metadata"})
_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(_FIELDS), inner, max_size=3),
                     max_leaves=6)
_EVENTS = st.builds(lambda name, fields: {**fields, "event": name},
                    st.sampled_from(_EVENT_NAMES), st.dictionaries(st.sampled_from(_FIELDS), _JSON, max_size=4))


def test_every_event_type_names_itself_once():
    assert len(set(_EVENT_NAMES)) == len(_EVENT_NAMES)


@settings(max_examples=400, deadline=None)
@given(st.lists(_EVENTS, max_size=4), st.lists(st.dictionaries(st.text(max_size=3), _JSON, max_size=2), max_size=2))
def test_checking_each_event_against_its_own_type_gives_the_full_schemas_verdict(events, responses):
    result = {"events": events, "responses": responses}
    assert action_result_schema._fits(result) == action_result_schema.VALIDATOR.is_valid(result)
