"""Fail closed: with its database unreachable the bot waits, says so, and never answers from memory.

"Unreachable" is real: the test's throwaway PostgreSQL database stops accepting connections
(ALTER DATABASE … ALLOW_CONNECTIONS false, and its sessions are terminated), then is let back.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import urllib.error
import urllib.request
from typing import Iterator

import pytest
import sqlalchemy as sa
from rasa.core.agent import Agent
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.config import get_settings
from bot.db.migrate import upgrade
from bot.messaging.pseudonym import sender_id_for
from tests.conftest import POSTGRES_ADMIN_URL, throwaway_postgres_database
from tests.integration.running_bot import start_bot
from tests.integration.twilio_client import Webhook, rows, twilio_env
from tests.twilio_stub import TwilioStub

pytestmark = pytest.mark.postgres


@contextlib.contextmanager
def unreachable(url: str) -> Iterator[None]:
    """The database behind `url` refuses every connection (open ones are cut) inside the block."""
    name = sa.engine.make_url(url).database
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as conn:
        conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
        conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                     {"n": name})
    try:
        yield
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()


def test_the_tracker_store_raises_and_alerts_instead_of_falling_back_to_memory(postgres_url, monkeypatch, caplog):
    from bot.storage.tracker_store import ConfiguredSQLTrackerStore, TrackerStoreUnavailable

    monkeypatch.setenv("TRACKER_STORE_URL", postgres_url)
    get_settings.cache_clear()
    try:
        # Wrapped exactly as Rasa's Agent wraps every tracker store (in a FailSafeTrackerStore).
        store = Agent._create_tracker_store(ConfiguredSQLTrackerStore(Domain.empty()), Domain.empty())
        tracker = DialogueStateTracker.from_events("parent-1", [UserUttered("is my cot safe", message_id="m1")])
        asyncio.run(store.save(tracker))
        with unreachable(postgres_url), caplog.at_level(logging.CRITICAL, logger="bot.alerts"):
            with pytest.raises(TrackerStoreUnavailable):
                asyncio.run(store.retrieve("parent-1"))
            with pytest.raises(TrackerStoreUnavailable):
                asyncio.run(store.save(DialogueStateTracker.from_events("parent-2", [UserUttered("hi")])))
        assert store._fallback_tracker_store is None  # nothing went to memory
        assert caplog.text.count("ALERT[database-unavailable]") == 2
        assert "unreachable while reading" in caplog.text and "unreachable while saving" in caplog.text
        back = asyncio.run(store.retrieve("parent-1"))
        assert [e.message_id for e in back.events if isinstance(e, UserUttered)] == ["m1"]
        assert asyncio.run(store.retrieve("parent-2")) is None
    finally:
        get_settings.cache_clear()


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def wait_until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.3)
    return False


def test_with_a_database_down_twilio_gets_503_or_the_message_waits_and_is_answered_once_when_it_is_back(
        tmp_path, model_path):
    """The running bot (`make run`) with conversations and application data in separate databases."""
    with throwaway_postgres_database() as app_url, throwaway_postgres_database() as tracker_url, \
            TwilioStub() as stub:
        upgrade(app_url)
        bot = start_bot(app_url, token="t", tmp_path=tmp_path,
                        extra_env={**twilio_env(stub.base_url), "TRACKER_STORE_URL": tracker_url})
        try:
            webhook, ready = Webhook(bot.rasa_port), f"http://127.0.0.1:{bot.rasa_port}/webhooks/health/ready"
            live = f"http://127.0.0.1:{bot.rasa_port}/webhooks/health/live"
            parent = "+447700900401"
            assert http_status(ready) == 200
            assert webhook.text(parent, "hello")[0] == 200
            assert stub.wait_for(lambda s: len(s.messages_to(parent)) == 1, 60)

            # Conversations unreachable: the message is kept (2xx), not answered, and retried.
            with unreachable(tracker_url):
                assert webhook.text(parent, "how warm should the room be", sid="SM-while-down")[0] == 200
                time.sleep(6)
                assert len(stub.messages_to(parent)) == 1
                assert http_status(ready) == 503 and http_status(live) == 200
                [waiting] = rows(app_url, "SELECT status FROM inbound_messages WHERE message_sid = 'SM-while-down'")
                assert waiting["status"] == "pending"
            assert stub.wait_for(lambda s: len(s.messages_to(parent)) == 2, 60)
            assert "16" in stub.messages_to(parent)[1].body
            assert wait_until(lambda: http_status(ready) == 200, 30)

            # Application data unreachable: Twilio is told to retry; once back, the retry is stored.
            with unreachable(app_url):
                assert webhook.text(parent, "thanks", sid="SM-refused")[0] == 503
                assert http_status(ready) == 503
            assert wait_until(lambda: webhook.text(parent, "thanks", sid="SM-refused")[0] == 200, 30)
            assert stub.wait_for(lambda s: len(s.messages_to(parent)) == 3, 60)
            time.sleep(2)
            assert len(stub.messages_to(parent)) == 3  # each message answered once

            sender = sender_id_for(parent, twilio_env("")["SENDER_ID_SECRET"].encode())
            user_turns = rows(tracker_url, "SELECT data FROM events WHERE sender_id = :s AND type_name = 'user' "
                                           "ORDER BY id", s=sender)
            ids = [json.loads(r["data"])["message_id"] for r in user_turns]
            assert len(ids) == 3 and len(set(ids)) == 3 and ids[1:] == ["SM-while-down", "SM-refused"]
            output = "".join(bot.output)
            assert "ALERT[database-unavailable]" in output
            assert "Falling back to use the 'InMemoryTrackerStore'" not in output
        finally:
            if bot.process.poll() is None:
                bot.stop_with_ctrl_c()
