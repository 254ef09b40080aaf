"""Handoff actions. They only orchestrate: read the tracker, call bot.handoffs, return slot events.
What the parent sees is sequenced by the rules in data/rules/ from responses in domain.yml."""
from __future__ import annotations

import uuid
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.slots import (
    AWAITING_CONSENT,
    BABY_LOSS,
    CONSENT_WITHDRAWN,
    HANDOFF_OFFER,
    HANDOFF_OPEN,
    OFFICE_HOURS,
    RISK_SIGNALS,
    channel_of,
    consent_wording,
    latest_risk,
    latest_text,
)
from bot.config import get_settings
from bot.db.models import utcnow
from bot.handoffs.hours import in_office_hours
from bot.handoffs.service import Offer, handoff_service
from bot.handoffs.test_senders import is_test_conversation
from bot.messaging.pseudonym import load_secret
from bot.risk.categories import Category, conversation_priority

CLEAR_OFFER = [SlotSet(AWAITING_CONSENT, False), SlotSet(HANDOFF_OFFER, None)]
# A trainer's test conversation (bot/handoffs/test_senders.py) says so instead of creating a case.
TEST_NOTICE = "(Trainer test conversation: no case was created and no health visitor was told.)"


def _secret() -> bytes:
    return load_secret(get_settings())


class ActionOfferHandoff(Action):
    """After the safety message: remember the signal and prepare the offer the parent will see."""

    def name(self) -> Text:
        return "action_offer_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        now = utcnow()
        risk = latest_risk(tracker)
        signal = {**risk, "text": latest_text(tracker), "at": now.isoformat()}
        signals = list(tracker.get_slot(RISK_SIGNALS) or []) + [signal]
        office_hours = in_office_hours(now, get_settings())
        version, wording = consent_wording(domain, office_hours)
        priority = conversation_priority(s["category"] for s in signals)
        offer = Offer(
            offer_id=str(uuid.uuid4()), sender_id=tracker.sender_id, channel=channel_of(tracker),
            category=risk["category"], level=priority.level.value, matched=risk["matched"],
            wording_version=version, wording_text=wording, categories=list(priority.categories),
            priority=priority.score,
            trigger_messages=[{k: s[k] for k in ("text", "at", "category")} for s in signals],
        )
        events = [SlotSet(RISK_SIGNALS, signals), SlotSet(OFFICE_HOURS, office_hours),
                  SlotSet(HANDOFF_OFFER, offer.as_dict()), SlotSet(AWAITING_CONSENT, True)]
        if risk["category"] == Category.BABY_LOSS.value:
            events.append(SlotSet(BABY_LOSS, True))
        return events


class ActionAcceptHandoff(Action):
    """Commit the case and the consent before the confirmation is sent: a crash can lose the
    reply, never the case, and a repeated yes to the same offer finds the same case."""

    def name(self) -> Text:
        return "action_accept_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        if is_test_conversation(tracker.sender_id, _secret):
            dispatcher.utter_message(text=TEST_NOTICE)
            return CLEAR_OFFER
        handoff_service().accept(Offer.from_dict(tracker.get_slot(HANDOFF_OFFER)))
        return CLEAR_OFFER + [SlotSet(HANDOFF_OPEN, True)]


class ActionDeclineHandoff(Action):
    def name(self) -> Text:
        return "action_decline_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        if not is_test_conversation(tracker.sender_id, _secret):
            handoff_service().decline(Offer.from_dict(tracker.get_slot(HANDOFF_OFFER)))
        return CLEAR_OFFER


class ActionWithdrawConsent(Action):
    def name(self) -> Text:
        return "action_withdraw_consent"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        case = handoff_service().withdraw(tracker.sender_id)
        return CLEAR_OFFER + [SlotSet(HANDOFF_OPEN, False), SlotSet(CONSENT_WITHDRAWN, case is not None)]


class ActionRecordPausedMessage(Action):
    """Keep a message against the open case. If a health visitor has closed it meanwhile, the
    case is over: `handoff_open` goes false and the rules tell the parent the bot is back."""

    def name(self) -> Text:
        return "action_record_paused_message"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        risk = latest_risk(tracker)
        category = None if risk["level"] == "none" else risk["category"]
        case = handoff_service().record_message(tracker.sender_id, latest_text(tracker), category)
        return [SlotSet(HANDOFF_OPEN, case is not None)]
