"""While a parent's case is open, their messages go to the case instead of to the FAQ answers.

Rules are keyed on intents, so "whatever the parent says, while paused" cannot be written as a rule.
This policy sits above RulePolicy: after a user message in a conversation whose `handoff_open` slot
is set, it picks `action_record_paused_message`. Two things still reach the rules: an emergency (the
999 reply must never wait for a person) and "stop sharing" (withdrawal must always be honoured).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa.core.policies.policy import Policy, PolicyPrediction, confidence_scores_for
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

PAUSED_ACTION = "action_record_paused_message"
PAUSE_SLOT = "handoff_open"
# Intents that bypass the pause.
ALWAYS_ANSWERED = frozenset({"withdraw_consent", "risk_emergency"})


def should_pause(tracker: DialogueStateTracker) -> bool:
    if tracker.latest_action_name != ACTION_LISTEN_NAME or not tracker.get_slot(PAUSE_SLOT):
        return False
    intent = (tracker.latest_message.intent or {}).get(INTENT_NAME_KEY) if tracker.latest_message else None
    return intent not in ALWAYS_ANSWERED


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class PausePolicy(Policy):
    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        # Above RulePolicy (4), so a paused conversation is never answered from the FAQ rules.
        return {"priority": 5}

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain,
              **kwargs: Any) -> Resource:
        return self._resource  # nothing to learn: the behaviour is the rule in should_pause

    def predict_action_probabilities(self, tracker: DialogueStateTracker, domain: Domain,
                                     rule_only_data: Optional[Dict[str, Any]] = None,
                                     **kwargs: Any) -> PolicyPrediction:
        if should_pause(tracker):
            return self._prediction(confidence_scores_for(PAUSED_ACTION, 1.0, domain))
        return self._prediction(self._default_predictions(domain))
