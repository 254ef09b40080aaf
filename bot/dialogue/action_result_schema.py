"""Checks a custom action's answer against Rasa's schema with validators built once.

Rasa 3.6's `RemoteAction._validate_action_result` calls `jsonschema.validate(result, schema)`,
which first checks the schema itself against the JSON Schema meta-schema, on every call. Rasa's
events schema is large: with jsonschema 4.17 that costs about 25 ms of CPU per custom action run
(the offer of a health visitor, a consent, a paused message), against about 0.35 ms per event for
the same check with a validator whose schema was checked once, here, at import.

Most of what is left is the schema's `oneOf`: each event is checked against all 23 event types'
schemas to prove exactly one fits. Each type's schema fixes `event` to its own name, so an event
fits the `oneOf` exactly when it fits the one schema its `event` names; a valid answer is checked
that way (`_fits`), one schema per event. An answer that does not fit is checked again in full, so
the error raised is Rasa's own (`best_match` of the errors, Rasa's advice appended).

Installed by importing this module (bot/channels/twilio.py does, in the Rasa server).
"""
from __future__ import annotations

import copy
from typing import Any, Dict, Text

from jsonschema import ValidationError, validators
from jsonschema.exceptions import best_match
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

_SCHEMA = RemoteAction.action_response_format_spec()
_VALIDATOR_CLASS = validators.validator_for(_SCHEMA)
_VALIDATOR_CLASS.check_schema(_SCHEMA)
VALIDATOR = _VALIDATOR_CLASS(_SCHEMA)


def _without_event_types(schema: Dict[str, Any]) -> Dict[str, Any]:
    """The schema with what every event needs ("event" a string, ...) but not the `oneOf` of types."""
    outer = copy.deepcopy(schema)
    del outer["properties"]["events"]["items"]["oneOf"]
    return outer


_OUTER = _VALIDATOR_CLASS(_without_event_types(_SCHEMA))
_EVENT_TYPES = {kind["properties"]["event"]["const"]: _VALIDATOR_CLASS(kind)
                for kind in _SCHEMA["properties"]["events"]["items"]["oneOf"]}


def _fits(result: Dict[Text, Any]) -> bool:
    """The verdict of VALIDATOR.is_valid, with each event checked against its own type only."""
    if not _OUTER.is_valid(result):
        return False
    for event in result.get("events") or ():
        event_type = _EVENT_TYPES.get(event["event"])
        if event_type is None or not event_type.is_valid(event):
            return False
    return True


def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    """Rasa's `_validate_action_result`, without checking the schema again."""
    if _fits(result):
        return True
    error: ValidationError = best_match(VALIDATOR.iter_errors(result))
    if error is None:
        return True
    error.message += (
        f". Failed to validate Action server response from API, "
        f"make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


RemoteAction._validate_action_result = validate_action_result
