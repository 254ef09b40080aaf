"""Key locks exclude across processes on SQLite as on PostgreSQL, and so `subject erase`, a process of
its own, pauses the parent's messages in the bot while it deletes their records.

Each test runs on SQLite and on PostgreSQL: the second process is real (spawned), and the kill is
SIGKILL."""
from __future__ import annotations

import threading
import time
from typing import Callable, Iterator

import pytest

from bot.db.locks import INBOX, OUTBOX, KeyLocks, key_hash
from bot.db.messaging import Contact
from bot.db.session import engine_for
from bot.governance import subject
from tests.conftest import eventually
from tests.integration.governance_helpers import (  # noqa: F401 (sessions is a fixture)
    NOW, SECRET, count, parent_writes, save_conversation, sessions, tracker_events)
from tests.integration.key_locks_process import OtherProcess

PHONE = "+447700900111"
# Two keys with one 32-bit hash (found by search), as two parents' sender ids could have.
SAME_HASH = ("sms-67428", "sms-128257")


@pytest.fixture
def other_process(database_url) -> Iterator[OtherProcess]:
    other = OtherProcess(database_url)
    yield other
    other.kill()


@pytest.fixture
def inbox_locks(database_url) -> Iterator[KeyLocks]:
    locks = KeyLocks(engine_for(database_url), INBOX)
    yield locks
    locks.close()


def release_later(seconds: float, release: Callable[[], None]) -> None:
    """The other process finishes its turn `seconds` from now, while this one waits in erase."""
    timer = threading.Timer(seconds, release)
    timer.daemon = True
    timer.start()


def test_a_key_held_in_another_process_cannot_be_taken_until_that_process_releases_it(other_process, inbox_locks):
    assert other_process.try_acquire(INBOX, "sms-a")
    assert not inbox_locks.try_acquire("sms-a")
    other_process.release(INBOX, "sms-a")
    assert inbox_locks.try_acquire("sms-a")
    assert not other_process.try_acquire(INBOX, "sms-a")


def test_a_key_held_by_a_process_killed_with_sigkill_is_free_to_take(other_process, inbox_locks):
    assert other_process.try_acquire(INBOX, "sms-a")
    assert not inbox_locks.try_acquire("sms-a")
    other_process.kill()
    # A moment later: PostgreSQL ends the session when it reads the closed socket; the kernel drops
    # a dead process's file locks as it exits.
    assert eventually(lambda: inbox_locks.try_acquire("sms-a"))


def test_a_lock_in_another_process_blocks_only_its_own_key_in_its_own_namespace(
        database_url, other_process, inbox_locks):
    outbox_locks = KeyLocks(engine_for(database_url), OUTBOX)
    try:
        assert other_process.try_acquire(INBOX, "sms-a")
        assert not inbox_locks.try_acquire("sms-a")
        assert inbox_locks.try_acquire("sms-b")
        assert outbox_locks.try_acquire("sms-a")
    finally:
        outbox_locks.close()


def test_two_key_locks_in_one_process_exclude_each_other(database_url, inbox_locks):
    """As two PostgreSQL sessions do; on SQLite the kernel sees one owner, the process."""
    second = KeyLocks(engine_for(database_url), INBOX)
    try:
        assert inbox_locks.try_acquire("sms-a")
        assert not second.try_acquire("sms-a")
        assert second.try_acquire("sms-b")
    finally:
        second.close()


def test_closing_one_key_locks_keeps_the_locks_of_another_in_the_same_process(
        database_url, other_process, inbox_locks):
    """On SQLite, closing any descriptor of the lock file would drop every lock the process has on it."""
    second = KeyLocks(engine_for(database_url), INBOX)
    assert inbox_locks.try_acquire("sms-a") and second.try_acquire("sms-b")
    second.close()
    assert not other_process.try_acquire(INBOX, "sms-a")
    assert other_process.try_acquire(INBOX, "sms-b")


def test_keys_sharing_a_hash_are_serialised_across_processes_until_both_are_released(other_process, inbox_locks):
    first, second = SAME_HASH
    assert key_hash(first) == key_hash(second)
    assert inbox_locks.try_acquire(first) and inbox_locks.try_acquire(second)
    inbox_locks.release(first)
    assert not other_process.try_acquire(INBOX, first)
    inbox_locks.release(second)
    assert other_process.try_acquire(INBOX, first)


@pytest.fixture
def answered_parent(sessions, database_url) -> str:  # noqa: F811 (sessions is the imported fixture)
    """A parent's message answered and its conversation saved; their sender id."""
    sender_id = parent_writes(sessions, PHONE, "is it ok to swaddle", NOW)
    save_conversation(database_url, sender_id, ["is it ok to swaddle"], NOW)
    return sender_id


def test_erasure_waits_while_another_process_answers_the_parent_and_erases_once_it_is_done(
        sessions, database_url, other_process, answered_parent):  # noqa: F811
    assert other_process.try_acquire(INBOX, answered_parent)  # the bot's worker, answering them
    started = time.monotonic()
    release_later(1.0, lambda: other_process.release(INBOX, answered_parent))
    report = subject.erase(sessions, database_url, PHONE, SECRET, hold_days=0)
    assert time.monotonic() - started >= 1.0
    assert report.deleted["conversation_events"] > 0
    assert tracker_events(database_url, answered_parent) == 0


def test_erasure_gives_up_with_nothing_deleted_while_another_process_keeps_answering_the_parent(
        sessions, database_url, other_process, answered_parent, monkeypatch):  # noqa: F811
    monkeypatch.setattr(subject, "LOCK_WAIT_SECONDS", 0.5)  # rather than the 30 s the command waits
    events = tracker_events(database_url, answered_parent)
    assert other_process.try_acquire(INBOX, answered_parent)
    with pytest.raises(TimeoutError):
        subject.erase(sessions, database_url, PHONE, SECRET, hold_days=0)
    assert tracker_events(database_url, answered_parent) == events > 0
    assert count(sessions, Contact, Contact.sender_id == answered_parent) == 1
