"""The webhook stores a message and claims it for this process's worker in one transaction.

On SQLite and PostgreSQL: the claim is the inbox's (the parent's lock, the parent's oldest
pending message, its attempt counted), it never takes a parent the worker already holds, and a
store whose commit fails lets the parent go again, so nobody waits on a lock for a message that
was never stored.
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from bot.channels.twilio import TwilioChannel
from bot.config import get_settings
from bot.db.locks import INBOX, KeyLocks
from bot.db.messaging import InboundMessage
from bot.db.session import engine_for, session_factory
from bot.messaging.worker import InboxWorker
from tests.integration.test_replica_claiming import RepliesStayQueued
from tests.integration.test_twilio_inbox import arrival


@pytest.fixture
def channel(database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    channel = TwilioChannel(get_settings())
    channel.sessions = session_factory(database_url)
    locks = KeyLocks(engine_for(database_url), INBOX)
    channel.worker = InboxWorker(channel.sessions, locks, None, lambda: None, RepliesStayQueued())
    yield channel
    locks.close()
    get_settings.cache_clear()


def test_a_stored_message_is_claimed_in_the_same_commit_with_its_attempt_counted(channel):
    stored, claimed = channel._store(arrival("SM-1"))
    assert stored and claimed.message_sid == "SM-1" and claimed.attempts == 1
    assert channel.worker.locks.holding() == {claimed.sender_id}
    with channel.sessions() as session:
        assert session.execute(sa.select(InboundMessage.attempts)).scalar_one() == 1


def test_a_parent_the_worker_holds_is_not_claimed_again_and_a_duplicate_is_neither(channel):
    _, first = channel._store(arrival("SM-1"))
    assert channel._store(arrival("SM-2")) == (True, None)  # waits for the worker, in order
    assert channel._store(arrival("SM-1")) == (False, None)
    channel.worker.locks.release(first.sender_id)


def test_a_store_whose_commit_fails_lets_the_parent_go(channel, monkeypatch):
    claim_in = channel.worker.claim_in

    def claim_then_fail(session, sender_id):
        claim_in(session, sender_id)
        raise sa.exc.OperationalError("COMMIT", {}, Exception("the database went away"))

    monkeypatch.setattr(channel.worker, "claim_in", claim_then_fail)
    with pytest.raises(sa.exc.OperationalError):
        channel._store(arrival("SM-1"))
    assert channel.worker.locks.holding() == frozenset()
    with channel.sessions() as session:
        assert session.execute(sa.select(sa.func.count()).select_from(InboundMessage)).scalar_one() == 0
