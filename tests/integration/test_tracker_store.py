"""The project's tracker store keeps conversations exactly as Rasa's SQLTrackerStore does.

Its reads and writes are Core statements built once (bot/storage/tracker_store.py) instead of
Rasa's ORM queries; these tests hold them to Rasa's own store on the same database, on SQLite
and PostgreSQL: the same rows written, the same tracker read back, only new events inserted;
and, unlike Rasa's, without stopping the event loop while the database is slow.
"""
from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, BotUttered, SessionStarted, SlotSet,
                                     UserUttered)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.config import get_settings

DOMAIN = Domain.from_dict({"intents": ["greet"], "slots": {"handoff_open": {
    "type": "bool", "mappings": [{"type": "custom"}]}}})


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def stores(request, tmp_path, monkeypatch):
    """(this project's store, Rasa's own store) on one empty database."""
    from bot.storage.tracker_store import ConfiguredSQLTrackerStore

    url = (f"sqlite:///{tmp_path / 'tracker.db'}" if request.param == "sqlite"
           else request.getfixturevalue("postgres_url"))
    monkeypatch.setenv("TRACKER_STORE_URL", url)
    get_settings.cache_clear()
    try:
        ours = ConfiguredSQLTrackerStore(DOMAIN)
        yield ours, SQLTrackerStore(DOMAIN, host=url)
    finally:
        get_settings.cache_clear()


def first_session(sender: str) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(sender, [
        ActionExecuted("action_session_start", timestamp=1.0), SessionStarted(timestamp=1.0),
        ActionExecuted("action_listen", timestamp=1.0),
        UserUttered("hello", {"name": "greet", "confidence": 0.9}, message_id="SM1", timestamp=2.0),
        SlotSet("handoff_open", True, timestamp=2.0), BotUttered("hi there", timestamp=2.0),
    ], DOMAIN.slots)


def rows(store: SQLTrackerStore):
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT sender_id, type_name, timestamp, intent_name, action_name, data FROM events ORDER BY id"))]


def test_saving_writes_the_rows_rasas_store_writes(stores):
    ours, rasas = stores
    asyncio.run(ours.save(first_session("parent-a")))
    asyncio.run(rasas.save(first_session("parent-b")))
    written = rows(ours)
    assert [r[1:] for r in written if r[0] == "parent-a"] == [r[1:] for r in written if r[0] == "parent-b"]
    assert len(written) == 12


def test_saving_again_inserts_only_the_events_not_yet_stored(stores):
    ours, _ = stores
    asyncio.run(ours.save(first_session("parent-a")))
    tracker = asyncio.run(ours.retrieve("parent-a"))
    tracker.update(UserUttered("again", {"name": "greet", "confidence": 0.8}, message_id="SM2", timestamp=3.0))
    asyncio.run(ours.save(tracker))
    asyncio.run(ours.save(tracker))
    assert [r[1] for r in rows(ours)] == ["action", "session_started", "action", "user", "slot", "bot", "user"]


def test_a_new_conversations_empty_tracker_costs_no_database_call(stores):
    """Rasa saves an empty tracker for every new conversation (`create_tracker`) before its first
    message is parsed; there is nothing to write, so nothing may wait for the database. The first
    real save still stores every event."""
    ours, _ = stores
    statements = []
    sa.event.listen(ours.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    asyncio.run(ours.save(DialogueStateTracker("parent-a", DOMAIN.slots)))
    assert statements == []
    asyncio.run(ours.save(first_session("parent-a")))
    assert len(rows(ours)) == len(first_session("parent-a").events)


def test_reading_returns_what_rasas_store_returns_for_the_latest_session_and_for_all(stores):
    ours, rasas = stores
    tracker = first_session("parent-a")
    asyncio.run(ours.save(tracker))
    for event in (ActionExecuted("action_session_start", timestamp=5.0), SessionStarted(timestamp=5.0),
                  UserUttered("back", {"name": "greet", "confidence": 0.7}, message_id="SM3", timestamp=6.0)):
        tracker.update(event)
    asyncio.run(ours.save(tracker))
    latest, full = asyncio.run(ours.retrieve("parent-a")), asyncio.run(ours.retrieve_full_tracker("parent-a"))
    assert [e.as_dict() for e in latest.events] == [e.as_dict() for e in asyncio.run(rasas.retrieve("parent-a")).events]
    assert [e.as_dict() for e in full.events] == [
        e.as_dict() for e in asyncio.run(rasas.retrieve_full_tracker("parent-a")).events]
    assert len(latest.events) == 3 and len(full.events) == 9


def test_an_unknown_conversation_reads_as_none(stores):
    ours, _ = stores
    assert asyncio.run(ours.retrieve("nobody")) is None


@contextlib.contextmanager
def events_table_held(store, seconds: float):
    """Another connection holds the events table against writers for `seconds`, then lets go."""
    if store.engine.dialect.name == "sqlite":
        holder = sqlite3.connect(store.engine.url.database, isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN EXCLUSIVE")
        release = lambda: (holder.execute("ROLLBACK"), holder.close())  # noqa: E731
    else:
        holder = store.engine.raw_connection()
        holder.cursor().execute("LOCK TABLE events IN EXCLUSIVE MODE")
        release = lambda: (holder.rollback(), holder.close())  # noqa: E731
    timer = threading.Timer(seconds, release)
    timer.start()
    try:
        yield
    finally:
        timer.join()


def test_other_parents_are_served_while_a_save_waits_for_the_database(stores):
    """A save waiting on the database (here a table lock held for 1 s) must not stop the event
    loop: every other parent's webhook, turn and reply runs in it. Rasa's own store waits in it."""
    ours, _ = stores

    async def loop_ticks_during_save() -> int:
        ticks = 0
        saving = asyncio.ensure_future(ours.save(first_session("parent-a")))
        while not saving.done():
            await asyncio.sleep(0.01)
            ticks += 1
        await saving
        return ticks

    with events_table_held(ours, 1.0):
        ticks = asyncio.run(loop_ticks_during_save())
    assert ticks >= 10
    assert len(rows(ours)) == len(first_session("parent-a").events)
