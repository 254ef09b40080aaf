"""The inbox on SQLite and PostgreSQL: duplicates by unique constraint, per-parent order, finish once."""
from __future__ import annotations

import threading
from typing import List

import pytest
import sqlalchemy as sa

from bot.db.locks import INBOX, KeyLocks
from bot.db.messaging import Channel, InboundMessage, InboundStatus
from bot.db.session import session_factory
from bot.messaging import inbox


@pytest.fixture
def sessions(database_url):
    return session_factory(database_url)


def arrival(sid: str, parent: str = "+447700900001", body: str = "hi") -> inbox.Arrival:
    return inbox.Arrival(message_sid=sid, address=parent, our_address="+447700900900",
                         sender_id=f"sms-{parent[-4:]}", channel=Channel.SMS, body=body, num_media=0,
                         has_location=False)


def store(sessions, message: inbox.Arrival) -> bool:
    with sessions.begin() as session:
        return inbox.store(session, message)


def test_the_same_message_sid_stored_from_many_threads_at_once_is_stored_once(sessions):
    results: List[bool] = []
    threads = [threading.Thread(target=lambda: results.append(store(sessions, arrival("SM-dup"))))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]
    with sessions() as session:
        assert session.execute(sa.select(sa.func.count()).select_from(InboundMessage)).scalar_one() == 1


def test_each_parents_oldest_pending_message_is_claimed_with_its_attempt_counted_and_finished_once(sessions):
    for sid, parent in [("SM1", "+447700900001"), ("SM2", "+447700900001"), ("SM3", "+447700900002")]:
        assert store(sessions, arrival(sid, parent))
    locks = KeyLocks(sessions.kw["bind"], INBOX)
    with sessions.begin() as session:
        claimed = inbox.claim(session, locks, limit=10)
        assert [(m.message_sid, m.attempts) for m in claimed] == [("SM1", 1), ("SM3", 1)]
    with sessions.begin() as session:
        assert inbox.claim(session, locks, limit=10) == []  # both parents are held
        assert inbox.finish(session, claimed[0].id)
        assert not inbox.finish(session, claimed[0].id)
    locks.close()  # as if the process restarted
    with sessions.begin() as session:
        # SM2 waited for SM1; SM3 is claimed again (e.g. after a restart) with its second attempt.
        assert [(m.message_sid, m.attempts) for m in inbox.claim(session, locks, limit=10)] == [
            ("SM2", 1), ("SM3", 2)]
        first = session.execute(sa.select(InboundMessage).where(InboundMessage.message_sid == "SM1")).scalar_one()
        assert (first.status, first.attempts) == (InboundStatus.PROCESSED.value, 1)
    locks.close()


def test_a_burst_stored_from_many_threads_is_due_in_id_order_one_at_a_time(sessions):
    threads = [threading.Thread(target=store, args=(sessions, arrival(f"SM-b{n}"))) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seen = []
    locks = KeyLocks(sessions.kw["bind"], INBOX)
    while True:
        with sessions.begin() as session:
            due = inbox.claim(session, locks, limit=10)
            if not due:
                break
            assert len(due) == 1
            seen.append(due[0].id)
            inbox.finish(session, due[0].id)
        locks.release(due[0].sender_id)
    locks.close()
    assert len(seen) == 10 and seen == sorted(seen)


@pytest.mark.postgres
def test_bursts_of_first_messages_from_new_parents_are_all_stored(postgres_url):
    """Regression: one `INSERT … ON CONFLICT (sender_id) DO UPDATE` for the contact failed about
    once in 100 such bursts on PostgreSQL, on the address's unique index, and the webhook
    answered 503."""
    from bot.db.migrate import upgrade

    upgrade(postgres_url)
    sessions = session_factory(postgres_url)
    failures: List[BaseException] = []

    def store_or_record_failure(message: inbox.Arrival) -> None:
        try:
            store(sessions, message)
        except BaseException as error:  # a thread's exception would otherwise vanish
            failures.append(error)

    parents = [f"+4477009{n:05d}" for n in range(400)]
    for parent in parents:
        threads = [threading.Thread(target=store_or_record_failure, args=(arrival(f"SM-{parent}-{k}", parent),))
                   for k in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []
    with sessions() as session:
        assert session.execute(sa.select(sa.func.count()).select_from(InboundMessage)).scalar_one() == 8 * 400
    sessions.kw["bind"].dispose()
