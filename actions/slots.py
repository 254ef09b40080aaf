"""Slot names shared by the actions, and small readers over the tracker and domain."""
from __future__ import annotations

from typing import Any, Dict, Text, Tuple

from rasa_sdk import Tracker

from bot.risk.detector import NO_RISK

RISK_SIGNALS = "risk_signals"
HANDOFF_OFFER = "handoff_offer"
AWAITING_CONSENT = "awaiting_consent"
HANDOFF_OPEN = "handoff_open"
OFFICE_HOURS = "office_hours"
CONSENT_WITHDRAWN = "consent_withdrawn"
BABY_LOSS = "baby_loss"

CONSENT_QUESTION = "utter_ask_handoff_consent"


def latest_risk(tracker: Tracker) -> Dict[str, Any]:
    return tracker.latest_message.get("risk") or NO_RISK.as_dict()


def latest_text(tracker: Tracker) -> str:
    return tracker.latest_message.get("text") or ""


def channel_of(tracker: Tracker) -> str:
    return tracker.get_latest_input_channel() or "rest"


def consent_wording(domain: Dict[Text, Any], office_hours: bool) -> Tuple[str, str]:
    """The version and exact text of the consent question the parent is about to see."""
    for variation in domain["responses"][CONSENT_QUESTION]:
        if any(c.get("name") == OFFICE_HOURS and c.get("value") == office_hours
               for c in variation.get("condition", [])):
            return variation["metadata"]["consent_version"], variation["text"]
    raise LookupError(f"{CONSENT_QUESTION} has no variation for office_hours={office_hours}")
