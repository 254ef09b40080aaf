"""The inbox collector on a real Rasa SQL tracker store: fallback and unsure messages arrive
redacted and once, understood ones and trainers' test conversations do not."""
from __future__ import annotations

import asyncio

import pytest

from bot.config import PROJECT_ROOT
from bot.db.migrate import upgrade
from bot.db.session import session_factory
from bot.training.inbox import TEST_SENDER_PREFIX, Inbox, Thresholds, collect, thresholds_from_config

LIMITS = Thresholds(threshold=0.25, ambiguity=0.05)


def parse(text, ranking, intent=None, risk="none"):
    top = intent or ranking[0][0]
    return {"text": text, "intent": {"name": top, "confidence": ranking[0][1]},
            "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
            "entities": [], "risk": {"category": risk}}


def save(url, sender, messages):
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    store = SQLTrackerStore(Domain.empty(), host=url)
    tracker = DialogueStateTracker(sender, [])
    for text, parse_data in messages:
        tracker.update(UserUttered(text, parse_data["intent"], parse_data=parse_data))
    asyncio.run(store.save(tracker))


@pytest.fixture
def world(tmp_path):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    return url, session_factory(url)


def test_fallback_and_unsure_messages_arrive_redacted_and_once(world):
    url, sessions = world
    save(url, "sms-abc", [
        ("my name is Tasha, can baby nap in a sling", parse("x", [("nlu_fallback", 0.7), ("sleep_slings", 0.2)])),
        ("is a cot bumper ok", parse("x", [("sleep_cot_bumpers", 0.95), ("greet", 0.01)])),
        ("can he sleep in the car seat 07700 900123", parse("x", [("sleep_car_seat", 0.41), ("sleep_slings", 0.39)])),
        ("whats a moses basket", parse("x", [("sleep_moses_basket", 0.2), ("greet", 0.1)])),
    ])
    save(url, TEST_SENDER_PREFIX + "1", [("blah", parse("x", [("nlu_fallback", 0.9)]))])
    assert collect(url, sessions, LIMITS) == 3
    items = Inbox(sessions).waiting()
    assert [(i.text, i.source, i.predicted_intent) for i in items] == [
        ("my name is [name], can baby nap in a sling", "fallback", "sleep_slings"),
        ("can he sleep in the car seat [phone]", "unsure", "sleep_car_seat"),
        ("whats a moses basket", "unsure", "sleep_moses_basket"),
    ]
    assert collect(url, sessions, LIMITS) == 0
    save(url, "sms-def", [("hmm", parse("x", [("nlu_fallback", 0.8)]))])
    assert collect(url, sessions, LIMITS) == 1


def test_closed_items_leave_the_waiting_list(world):
    url, sessions = world
    save(url, "sms-abc", [("zzz", parse("x", [("nlu_fallback", 0.7)]))])
    collect(url, sessions, LIMITS)
    inbox = Inbox(sessions)
    [item] = inbox.waiting()
    inbox.close(item.id, "noise", None, "trainer@example.nhs.uk")
    assert inbox.waiting() == [] and inbox.get(item.id).labelled_by == "trainer@example.nhs.uk"


def test_no_tracker_events_yet_collects_nothing(world):
    url, sessions = world
    assert collect(url, sessions, LIMITS) == 0


def test_unsure_means_what_the_fallback_classifier_in_config_says(tmp_path):
    config = tmp_path / "config.yml"
    config.write_text("pipeline:\n  - name: WhitespaceTokenizer\n"
                      "  - name: FallbackClassifier\n    threshold: 0.4\n    ambiguity_threshold: 0.2\n")
    assert thresholds_from_config(config) == Thresholds(0.4, 0.2)
    thresholds_from_config(PROJECT_ROOT / "config.yml")  # the project's config has one
