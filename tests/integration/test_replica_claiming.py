"""Two replicas, one inbox on PostgreSQL: every message handled exactly once, each parent's in order.

Two processes each run the real InboxWorker (claims, advisory locks, commits) against one
throwaway PostgreSQL database while a burst from more parents than one worker takes at once
arrives. Rasa is not started: what is under test is who takes which message when, so the part
that would call Rasa is a small handler that writes each call into the same database and checks,
at that moment, that every earlier message of the parent is already processed (overlap across
processes would fail it).
"""
from __future__ import annotations

import asyncio
import multiprocessing
import os
import random
import time

import pytest
import sqlalchemy as sa

from bot.db.messaging import Channel, InboundMessage, InboundStatus, OutboundMessage
from bot.db.migrate import upgrade
from bot.db.session import session_factory
from bot.messaging import inbox
from bot.messaging.worker import CONCURRENT_PARENTS

PARENTS = CONCURRENT_PARENTS + 4  # more than one worker takes at once, so both replicas get work
MESSAGES_EACH = 8

pytestmark = pytest.mark.postgres


class RepliesStayQueued:
    """The worker's reply sender where no outbox sender runs: replies stay queued in the outbox."""

    def claim_in(self, session, address):
        return None

    def start(self, job):
        raise AssertionError("claim_in claims nothing here")

    let_go = start

    def wake(self, address=None):
        pass


class _ReadyAgent:
    @staticmethod
    def is_ready() -> bool:
        return True


def _replica(url: str, ready, go, expected: int) -> None:
    """One replica: the worker runs until every message is processed (or 90 s pass)."""
    from rasa.core.channels.channel import UserMessage

    from bot.db.locks import INBOX, KeyLocks
    from bot.db.session import engine_for
    from bot.messaging.worker import InboxWorker

    sessions = session_factory(url)

    async def handle(message: UserMessage) -> None:
        """Stands in for Rasa: records the call and whether the parent's earlier messages were done."""
        def record() -> None:
            with sessions.begin() as session:
                me = session.execute(sa.select(InboundMessage).where(
                    InboundMessage.message_sid == message.message_id)).scalar_one()
                unfinished_before = session.execute(sa.select(sa.func.count()).where(
                    InboundMessage.sender_id == me.sender_id, InboundMessage.id < me.id,
                    InboundMessage.status != InboundStatus.PROCESSED.value)).scalar_one()
                session.execute(sa.text("INSERT INTO handler_calls (message_sid, pid, in_order) "
                                        "VALUES (:sid, :pid, :ok)"),
                                {"sid": message.message_id, "pid": os.getpid(), "ok": unfinished_before == 0})
        await asyncio.to_thread(record)
        await asyncio.sleep(random.uniform(0.02, 0.06))
        await message.output_channel.send_text_message(message.sender_id, f"got {message.text}")

    async def main() -> None:
        worker = InboxWorker(sessions, KeyLocks(engine_for(url), INBOX), handle, _ReadyAgent, RepliesStayQueued())
        ready.set()
        go.wait()
        task = asyncio.create_task(worker.run())
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            with sessions() as session:
                done = session.execute(sa.select(sa.func.count()).where(
                    InboundMessage.status == InboundStatus.PROCESSED.value)).scalar_one()
            if done >= expected:
                break
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(main())


def _arrival(parent: int, n: int) -> inbox.Arrival:
    number = f"+4477009{parent:05d}"
    return inbox.Arrival(message_sid=f"SM{parent:03d}x{n:03d}", address=number, our_address="+447700900900",
                         sender_id=f"sms-p{parent:03d}", channel=Channel.SMS, body=f"{parent}/{n}",
                         num_media=0, has_location=False)


def test_two_replicas_racing_over_bursts_handle_each_message_once_and_each_parent_in_order(postgres_url):
    upgrade(postgres_url)
    sessions = session_factory(postgres_url)
    with sessions.begin() as session:
        session.execute(sa.text("CREATE TABLE handler_calls (message_sid text, pid int, in_order boolean)"))
    expected = PARENTS * MESSAGES_EACH
    spawn = multiprocessing.get_context("spawn")
    go = spawn.Event()
    replicas = []
    for _ in range(2):
        ready = spawn.Event()
        process = spawn.Process(target=_replica, args=(postgres_url, ready, go, expected))
        process.start()
        replicas.append((process, ready))
    for _process, ready in replicas:
        assert ready.wait(120), "a replica did not start"

    def burst(messages: range) -> None:
        for n in messages:
            for parent in range(PARENTS):
                with sessions.begin() as session:
                    inbox.store(session, _arrival(parent, n))

    # Half the burst waits for both replicas (more parents than one worker takes at once);
    # the rest arrives while they are claiming. Each parent's messages arrive in order.
    burst(range(MESSAGES_EACH // 2))
    go.set()
    burst(range(MESSAGES_EACH // 2, MESSAGES_EACH))
    for process, _ready in replicas:
        process.join(120)
        assert process.exitcode == 0

    with sessions() as session:
        calls = session.execute(sa.text("SELECT message_sid, pid, in_order FROM handler_calls")).all()
        statuses = session.execute(sa.select(InboundMessage.status, sa.func.count())
                                   .group_by(InboundMessage.status)).all()
        replies = session.execute(sa.select(OutboundMessage.sender_id, OutboundMessage.body)
                                  .order_by(OutboundMessage.id)).all()
    sids = [sid for sid, _pid, _ok in calls]
    print(f"\n{len(calls)} handler calls for {expected} messages, by replica: "
          f"{sorted(sum(1 for _s, pid, _o in calls if pid == p) for p in {c[1] for c in calls})}")
    assert sorted(sids) == sorted(f"SM{p:03d}x{n:03d}" for p in range(PARENTS) for n in range(MESSAGES_EACH))
    assert all(ok for _sid, _pid, ok in calls), "a message was handled before its parent's earlier one was done"
    assert len({pid for _sid, pid, _ok in calls}) == 2, "only one replica did any work: no race was tested"
    assert dict(statuses) == {InboundStatus.PROCESSED.value: expected}
    for parent in range(PARENTS):
        theirs = [body for sender, body in replies if sender == f"sms-p{parent:03d}"]
        assert theirs == [f"got {parent}/{n}" for n in range(MESSAGES_EACH)]
