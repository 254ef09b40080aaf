"""Rasa's RulePolicy, finding the rules that apply through an index instead of testing all of them.

To predict, RulePolicy tests every memorised rule (134 in this project) against the conversation's
latest state, two or three times per prediction and twice per turn, although at most a handful
can match: a rule's last state names the action just run and the parent's intent, and a rule
whose action or intent differs from the conversation's fails Rasa's test. That scan was most of
RulePolicy's 1.6 ms per message. This subclass indexes the rules once by the action and intent
their last state requires and runs Rasa's own test only on the rules the index leaves, so it finds
the same rules and predicts the same actions (tests/unit/test_rule_policy.py compares the two).

It keeps Rasa's class name because Rasa's test reports recognise rule predictions by it. Training
still warns that "'RulePolicy' is not included" (Rasa's check compares the class, not its
subclasses); the warning is wrong: this is a RulePolicy and inherits Rasa's default-intent rules.
"""
from __future__ import annotations

import json
from typing import Dict, List, Optional, Set, Text, Tuple

from rasa.core.policies import rule_policy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import PREVIOUS_ACTION, USER
from rasa.shared.core.trackers import State
from rasa.shared.nlu.constants import ACTION_NAME, INTENT

# (action name, intent) a rule's last state requires; None where it requires neither.
IndexKey = Tuple[Optional[Text], Optional[Text]]


def required(sub_state: Dict[Text, object], key: Text) -> Optional[Text]:
    """The value a rule state requires for `key`, as Rasa's `_does_rule_match_state` reads it:
    a set value other than SHOULD_NOT_BE_SET must be equal in the conversation."""
    value = sub_state.get(key)
    return value if isinstance(value, str) and value and value != rule_policy.SHOULD_NOT_BE_SET else None


def index_key(rule_key: Text) -> IndexKey:
    """Where a rule goes in the index. A rule whose last state has no previous action (a
    conversation start) can match a starting conversation whatever its intent: (None, None)."""
    states = json.loads(rule_key)
    last = states[-1] if states else {}
    if not last.get(PREVIOUS_ACTION):
        return None, None
    return required(last[PREVIOUS_ACTION], ACTION_NAME), required(last.get(USER, {}), INTENT)


def build_index(lookup: Dict[Text, Text]) -> Dict[IndexKey, List[Text]]:
    index: Dict[IndexKey, List[Text]] = {}
    for rule_key in lookup:
        index.setdefault(index_key(rule_key), []).append(rule_key)
    return index


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class RulePolicy(rule_policy.RulePolicy):
    """Rasa's RulePolicy with `_get_possible_keys` narrowed by an index; nothing else changes."""

    def _candidates(self, lookup: Dict[Text, Text], last_state: State) -> Set[Text]:
        """The rules that can pass Rasa's test on a conversation's last state, which has a previous
        action: those requiring its action or none, and its intent or none."""
        indexes = self.__dict__.setdefault("_rule_indexes", {})
        cached = indexes.get(id(lookup))
        # Training only removes rules from a table (contradictions), so a table of another size
        # is indexed again; after training the tables never change.
        if cached is None or cached[0] is not lookup or cached[1] != len(lookup):
            cached = indexes[id(lookup)] = (lookup, len(lookup), build_index(lookup))
        index = cached[2]
        action = last_state[PREVIOUS_ACTION].get(ACTION_NAME)
        intent = last_state.get(USER, {}).get(INTENT)
        keys: Set[Text] = set()
        for pair in {(action, intent), (action, None), (None, intent), (None, None)}:
            keys.update(index.get(pair, ()))
        return keys

    def _get_possible_keys(self, lookup: Dict[Text, Text], states: List[State]) -> Set[Text]:
        """Rasa's `_get_possible_keys`, starting from the index's candidates instead of every rule."""
        if not states or not states[-1].get(PREVIOUS_ACTION):
            return super()._get_possible_keys(lookup, states)
        possible_keys = self._candidates(lookup, states[-1])
        for i, state in enumerate(reversed(states)):
            possible_keys = {key for key in possible_keys if self._is_rule_applicable(key, i, state)}
        return possible_keys
