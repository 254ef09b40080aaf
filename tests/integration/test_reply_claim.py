"""The inbox worker claims a parent's reply for the sender in the transaction that queues it.

On SQLite and PostgreSQL, with a real OutboxSender against the Twilio stub: the reply goes out
although the sender's own claims (by name and by scan) take nothing, so the worker's claim is
what sent it; a finish whose commit fails lets the recipient go and sends nothing; and a sender
that has not finished settling what a dead process left "sending" is never handed a reply.
"""
from __future__ import annotations

import asyncio
import time
from typing import Callable, Optional

import pytest
import sqlalchemy as sa

from bot.db.locks import INBOX, OUTBOX, KeyLocks
from bot.db.messaging import InboundMessage, InboundStatus, OutboundMessage
from bot.db.session import session_factory
from bot.messaging import inbox
from bot.messaging.sender import OutboxSender
from bot.messaging.worker import InboxWorker, Outcome
from tests.integration.test_twilio_inbox import arrival
from tests.integration.test_twilio_outbox import stub_settings
from tests.twilio_stub import TwilioStub


@pytest.fixture
def sessions(database_url):
    return session_factory(database_url)


def claimed_message(sessions, locks: KeyLocks) -> InboundMessage:
    """A parent's message, stored and claimed as the webhook does."""
    with sessions.begin() as session:
        inbox.store(session, arrival("SM-1", body="is a sleeping bag ok"))
        [row] = inbox.claim_parents(session, locks, ["sms-0001"], 1)
    return row


def sender_that_never_claims(settings, sessions, locks: KeyLocks) -> OutboxSender:
    """A real sender whose own claims, by name and by scan, take nothing."""
    sender = OutboxSender(settings, sessions, locks)
    sender._due = lambda limit: []
    sender._due_for = lambda addresses, limit: []
    return sender


async def until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


def finish_with_one_reply(database_url, sessions, inbox_locks: KeyLocks, outbox_locks: KeyLocks,
                          on_statement: Optional[Callable[..., None]] = None) -> list:
    """Finish a claimed message with one reply while a real sender, whose own claims take nothing,
    is running; returns what the Twilio stub received. `on_statement`, if given, hears every
    statement of the finish (SQLAlchemy's before_cursor_execute) and no other."""
    engine = sessions.kw["bind"]
    with TwilioStub() as stub:
        sender = sender_that_never_claims(stub_settings(stub, database_url), sessions, outbox_locks)
        worker = InboxWorker(sessions, inbox_locks, None, lambda: None, sender)

        async def scenario() -> None:
            task = asyncio.create_task(sender.run())
            try:
                await until(lambda: sender.sending)  # settled: sending is allowed
                row = claimed_message(sessions, inbox_locks)
                if on_statement:
                    sa.event.listen(engine, "before_cursor_execute", on_statement)
                try:
                    await worker._finish(row, Outcome(["Yes, a well-fitting one."]), InboundStatus.PROCESSED)
                finally:
                    if on_statement:
                        sa.event.remove(engine, "before_cursor_execute", on_statement)
                await until(lambda: len(stub.sent) == 1 and not outbox_locks.holding())
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

        asyncio.run(scenario())
        return stub.sent


def test_a_reply_claimed_in_the_finishing_transaction_is_sent_without_the_senders_own_claim(database_url, sessions):
    engine = sessions.kw["bind"]
    inbox_locks, outbox_locks = KeyLocks(engine, INBOX), KeyLocks(engine, OUTBOX)
    sent = finish_with_one_reply(database_url, sessions, inbox_locks, outbox_locks)
    assert sent[0].body == "Yes, a well-fitting one."
    with sessions() as session:
        assert session.execute(sa.select(OutboundMessage.status)).scalars().all() == ["sent"]
    inbox_locks.close()
    outbox_locks.close()


def test_a_finish_whose_commit_fails_lets_the_recipient_go_and_sends_nothing(database_url, sessions, monkeypatch):
    engine = sessions.kw["bind"]
    inbox_locks, outbox_locks = KeyLocks(engine, INBOX), KeyLocks(engine, OUTBOX)
    with TwilioStub() as stub:
        sender = sender_that_never_claims(stub_settings(stub, database_url), sessions, outbox_locks)
        worker = InboxWorker(sessions, inbox_locks, None, lambda: None, sender)
        row = claimed_message(sessions, inbox_locks)

        def fail_after_the_reply_was_claimed(session, sender_id):
            assert outbox_locks.holding() == {"+447700900001"}  # claim_in took the recipient
            raise sa.exc.OperationalError("SELECT", {}, Exception("the database went away"))

        async def scenario() -> None:
            task = asyncio.create_task(sender.run())
            try:
                await until(lambda: sender.sending)
                monkeypatch.setattr(inbox, "next_pending", fail_after_the_reply_was_claimed)
                with pytest.raises(sa.exc.OperationalError):
                    await worker._finish(row, Outcome(["Yes."]), InboundStatus.PROCESSED)
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

        asyncio.run(scenario())
        assert stub.sent == []
    assert outbox_locks.holding() == frozenset()
    with sessions() as session:
        assert session.execute(sa.select(sa.func.count()).select_from(OutboundMessage)).scalar_one() == 0
        assert session.execute(sa.select(InboundMessage.status)).scalar_one() == "pending"
    inbox_locks.close()
    outbox_locks.close()


def test_a_sender_that_has_not_settled_yet_is_not_handed_a_reply(database_url, sessions):
    engine = sessions.kw["bind"]
    inbox_locks, outbox_locks = KeyLocks(engine, INBOX), KeyLocks(engine, OUTBOX)
    with TwilioStub() as stub:
        sender = OutboxSender(stub_settings(stub, database_url), sessions, outbox_locks)  # not running
        worker = InboxWorker(sessions, inbox_locks, None, lambda: None, sender)
        asyncio.run(worker._finish(claimed_message(sessions, inbox_locks), Outcome(["Yes."]),
                                   InboundStatus.PROCESSED))
        assert stub.sent == []
    assert outbox_locks.holding() == frozenset()
    with sessions() as session:
        assert session.execute(sa.select(OutboundMessage.status)).scalars().all() == ["queued"]
    inbox_locks.close()
    outbox_locks.close()


def test_the_finishing_transaction_reads_the_parents_contact_once(database_url, sessions):
    """Queueing the reply and planning its send both need the contact; the second read is served
    from the session, not the database."""
    engine = sessions.kw["bind"]
    inbox_locks, outbox_locks = KeyLocks(engine, INBOX), KeyLocks(engine, OUTBOX)
    contact_reads = []

    def count_contact_reads(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM contacts" in statement:
            contact_reads.append(statement)

    finish_with_one_reply(database_url, sessions, inbox_locks, outbox_locks, count_contact_reads)
    assert len(contact_reads) == 1
    inbox_locks.close()
    outbox_locks.close()
