"""The load benchmark's step timings read each message's turn from a real tracker store
(benchmarks/load.py `turn_times`): the timestamps Rasa's SQL tracker store writes."""
from __future__ import annotations

import asyncio

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from benchmarks.load import turn_times

pytestmark = pytest.mark.postgres


def conversation(sender_id: str, turns: list) -> DialogueStateTracker:
    """A session start at time 0, then for each (MessageSid, parsed at, answered at) a user event,
    the bot's answer and the listen that ends the turn."""
    tracker = DialogueStateTracker(sender_id, slots=[])
    for event in (ActionExecuted("action_session_start", timestamp=0.0), SessionStarted(timestamp=0.0),
                  ActionExecuted("action_listen", timestamp=0.0)):
        tracker.update(event)
    for sid, parsed, answered in turns:
        tracker.update(UserUttered("a question", message_id=sid, timestamp=parsed))
        tracker.update(BotUttered("an answer", timestamp=answered - 0.001))
        tracker.update(ActionExecuted("action_listen", timestamp=answered))
    return tracker


def test_each_message_gets_its_own_turns_first_and_last_timestamps_not_the_next_conversations(postgres_url):
    store = SQLTrackerStore(Domain.empty(), host=postgres_url)
    # Sorted by sender id, the second conversation's session start comes right after the first's
    # last turn: it must not stretch that turn.
    asyncio.run(store.save(conversation("parent-a", [("SM1", 10.0, 10.5), ("SM2", 20.0, 20.25)])))
    asyncio.run(store.save(conversation("parent-b", [("SM3", 30.0, 30.75)])))
    asyncio.run(store.save(conversation("someone-else", [("SM4", 40.0, 41.0)])))

    assert turn_times(postgres_url, ["parent-a", "parent-b"]) == {
        "SM1": (10.0, 10.5), "SM2": (20.0, 20.25), "SM3": (30.0, 30.75)}
