"""The custom actions against a real database: they orchestrate bot.handoffs and return slot events."""
from __future__ import annotations

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import (
    ActionAcceptHandoff,
    ActionDeclineHandoff,
    ActionOfferHandoff,
    ActionRecordPausedMessage,
    ActionWithdrawConsent,
)
from bot.config import PROJECT_ROOT, get_settings
from bot.handoffs.service import handoff_service

RISK = {"category": "concealed_pregnancy", "level": "high", "matched": "nobody knows i am pregnant"}


@pytest.fixture(scope="module")
def domain():
    with open(PROJECT_ROOT / "domain.yml") as handle:
        return yaml.safe_load(handle)


@pytest.fixture(autouse=True)
def app_database(database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


def tracker(text="nobody knows im pregnant", risk=RISK, **slots) -> Tracker:
    return Tracker(
        sender_id="parent-7", slots=slots, latest_message={"text": text, "risk": risk, "intent": {}},
        events=[{"event": "user", "text": text, "input_channel": "rest"}], paused=False,
        followup_action=None, active_loop={}, latest_action_name="action_listen",
    )


def run(action, track, domain):
    return {e["name"]: e["value"] for e in action.run(CollectingDispatcher(), track, domain)
            if e["event"] == "slot"}


def test_offer_captures_the_exact_consent_wording_and_accumulates_signals(domain):
    earlier = [{**RISK, "category": "substance_use", "text": "using every day", "at": "2026-11-25T02:00:00"}]
    slots = run(ActionOfferHandoff(), tracker(risk_signals=earlier), domain)
    offer = slots["handoff_offer"]
    question = {v["metadata"]["consent_version"]: v["text"]
                for v in domain["responses"]["utter_ask_handoff_consent"]}
    assert question[offer["wording_version"]] == offer["wording_text"]
    assert slots["office_hours"] == (offer["wording_version"] == "handoff-consent-v1")
    assert offer["categories"] == ["substance_use", "concealed_pregnancy"]
    assert [m["text"] for m in offer["trigger_messages"]] == ["using every day", "nobody knows im pregnant"]
    assert slots["awaiting_consent"] is True and len(slots["risk_signals"]) == 2


def test_accept_commits_one_case_even_if_yes_is_processed_twice(domain):
    offer = run(ActionOfferHandoff(), tracker(), domain)["handoff_offer"]
    for _ in range(2):
        slots = run(ActionAcceptHandoff(), tracker("yes", handoff_offer=offer), domain)
    assert slots == {"awaiting_consent": False, "handoff_offer": None, "handoff_open": True}
    assert len(handoff_service().all_cases()) == 1


def test_decline_records_the_category_only(domain):
    offer = run(ActionOfferHandoff(), tracker(), domain)["handoff_offer"]
    run(ActionDeclineHandoff(), tracker("no", handoff_offer=offer), domain)
    [consent] = handoff_service().consents("parent-7")
    assert consent.decision == "declined" and handoff_service().all_cases() == []


def test_paused_messages_join_the_case_and_a_closed_case_resumes_the_bot(domain):
    offer = run(ActionOfferHandoff(), tracker(), domain)["handoff_offer"]
    run(ActionAcceptHandoff(), tracker("yes", handoff_offer=offer), domain)
    none = {"category": "none", "level": "none", "matched": None}
    assert run(ActionRecordPausedMessage(), tracker("still there?", none), domain) == {"handoff_open": True}
    [case] = handoff_service().all_cases()
    handoff_service().close(case.id, "advice_given")
    assert run(ActionRecordPausedMessage(), tracker("hello", none), domain) == {"handoff_open": False}
    assert [m.text for m in handoff_service().case_messages(case.id)] == ["still there?"]


def test_withdrawal_says_whether_there_was_a_case_to_withdraw(domain):
    assert run(ActionWithdrawConsent(), tracker("stop sharing"), domain)["consent_withdrawn"] is False
    offer = run(ActionOfferHandoff(), tracker(), domain)["handoff_offer"]
    run(ActionAcceptHandoff(), tracker("yes", handoff_offer=offer), domain)
    assert run(ActionWithdrawConsent(), tracker("stop sharing"), domain)["consent_withdrawn"] is True
