"""The indexed RulePolicy finds exactly the rules Rasa's RulePolicy finds, for every kind of rule
and conversation state, including after training removes a rule from a table it already indexed."""
import itertools
import json

import pytest
from rasa.core.policies.rule_policy import RulePolicy as RasaRulePolicy
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import SHOULD_NOT_BE_SET

from bot.dialogue.rule_policy import RulePolicy

LISTEN = {"action_name": "action_listen"}


def _key(*states):
    return json.dumps(list(states), sort_keys=True)


# Every shape a rule's states take: a conversation start, an intent after listening, an action's
# follow-up, slots required set or unset, a text-only user turn, several turns, and values Rasa's
# test ignores (SHOULD_NOT_BE_SET as action or intent, a list).
RULES = [
    _key({"user": {"intent": "greet"}}),
    _key({"prev_action": LISTEN, "user": {"intent": "greet"}}),
    _key({"prev_action": LISTEN, "user": {"intent": "thank"}}),
    _key({"prev_action": {"action_name": "utter_greet"}, "user": {"intent": "greet"}}),
    _key({"prev_action": {"action_name": "utter_greet"}}),
    _key({"prev_action": LISTEN, "user": {"intent": "greet"}, "slots": {"handoff_open": [1.0]}}),
    _key({"prev_action": LISTEN, "user": {"intent": "greet"}, "slots": {"handoff_open": SHOULD_NOT_BE_SET}}),
    _key({"prev_action": LISTEN, "user": {"text": "hello"}}),
    _key({"prev_action": {"action_name": SHOULD_NOT_BE_SET}, "user": {"intent": "thank"}}),
    _key({"prev_action": LISTEN, "user": {"intent": SHOULD_NOT_BE_SET}}),
    _key({"prev_action": LISTEN, "user": {"intent": ["greet"]}}),
    _key({"prev_action": {"action_text": "hi"}, "user": {"intent": "thank"}}),
    _key({"prev_action": {"action_text": "hi"}}),
    _key({"prev_action": {"action_name": SHOULD_NOT_BE_SET}}),
    _key({}, {"prev_action": LISTEN, "user": {"intent": "thank"}}),
    _key({"prev_action": LISTEN, "user": {"intent": "greet"}},
         {"prev_action": {"action_name": "utter_greet"}, "user": {"intent": "greet"}}),
    _key({"user": {"intent": "greet"}}, {"prev_action": LISTEN, "user": {"intent": "thank"}}),
]
LAST_STATES = [
    {"user": {"intent": intent}, **({"prev_action": action} if action else {}), **slots}
    for intent, action, slots in itertools.product(
        ["greet", "thank", "other", SHOULD_NOT_BE_SET],
        [None, LISTEN, {"action_name": "utter_greet"}, {"action_name": SHOULD_NOT_BE_SET}, {"action_text": "hi"}],
        [{}, {"slots": {"handoff_open": (1.0,)}}, {"slots": {"handoff_open": SHOULD_NOT_BE_SET}}])
] + [{"prev_action": LISTEN, "user": {"text": "hello"}}, {"prev_action": LISTEN}, {}]
EARLIER = [[], [{}], [{"user": {"intent": "greet"}}], [{"prev_action": LISTEN, "user": {"intent": "greet"}}]]


def _policy(cls, tmp_path):
    return cls(cls.get_default_config(), LocalModelStorage(tmp_path), Resource("rules"),
               ExecutionContext(GraphSchema({}), "test"))


@pytest.fixture
def policies(tmp_path):
    return _policy(RasaRulePolicy, tmp_path / "rasa"), _policy(RulePolicy, tmp_path / "indexed")


def test_finds_the_same_rules_as_rasa_for_every_state(policies):
    rasa, indexed = policies
    lookup = {rule: "utter_x" for rule in RULES}
    for earlier, last in itertools.product(EARLIER, LAST_STATES):
        states = earlier + [last]
        assert indexed._get_possible_keys(lookup, states) == rasa._get_possible_keys(lookup, states), states


def test_a_rule_removed_during_training_is_not_found(policies):
    rasa, indexed = policies
    lookup = {rule: "utter_x" for rule in RULES}
    states = [{"prev_action": LISTEN, "user": {"intent": "greet"}}]
    assert RULES[1] in indexed._get_possible_keys(lookup, states)
    lookup.pop(RULES[1])
    assert indexed._get_possible_keys(lookup, states) == rasa._get_possible_keys(lookup, states)
    assert RULES[1] not in indexed._get_possible_keys(lookup, states)


def test_no_states_finds_every_rule_as_rasa_does(policies):
    rasa, indexed = policies
    lookup = {rule: "utter_x" for rule in RULES}
    assert indexed._get_possible_keys(lookup, []) == rasa._get_possible_keys(lookup, []) == set(RULES)
