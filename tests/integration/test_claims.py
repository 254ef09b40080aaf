"""The claim loop the inbox worker and the outbox sender share, on SQLite and PostgreSQL."""
from __future__ import annotations

import asyncio
import logging
from typing import List

from bot.db.locks import INBOX, KeyLocks
from bot.db.session import engine_for
from bot.messaging import claims

LOGGER = logging.getLogger("tests.claims")


def test_a_claim_that_fails_lets_go_of_the_keys_it_locked_and_returns_nothing(database_url, caplog):
    locks = KeyLocks(engine_for(database_url), INBOX)
    assert locks.try_acquire("sms-held-before")

    def claim_then_fail(limit: int) -> List[str]:
        assert locks.try_acquire("sms-a") and locks.try_acquire("sms-b")
        raise RuntimeError("the commit failed")

    try:
        with caplog.at_level(logging.ERROR, logger="tests.claims"):
            got = asyncio.run(claims.next_batch(locks, 8, claim_then_fail, LOGGER, "could not claim"))
        assert got == []
        assert "could not claim" in caplog.text and "the commit failed" in caplog.text
        # What it locked is free again (for another replica too); what was held before stays held.
        assert locks.holding() == {"sms-held-before"}
        other = KeyLocks(engine_for(database_url), INBOX)
        try:
            assert other.try_acquire("sms-a")  # on PostgreSQL: the advisory lock was released
        finally:
            other.close()
    finally:
        locks.close()


def test_a_process_with_no_room_left_claims_nothing_and_one_with_room_claims_only_that_much(database_url):
    locks = KeyLocks(engine_for(database_url), INBOX)
    asked: List[int] = []

    def claim(limit: int) -> List[int]:
        asked.append(limit)
        return list(range(limit))

    try:
        assert locks.try_acquire("sms-a") and locks.try_acquire("sms-b")
        assert asyncio.run(claims.next_batch(locks, 2, claim, LOGGER, "")) == []
        assert asyncio.run(claims.next_batch(locks, 5, claim, LOGGER, "")) == [0, 1, 2]
        assert asked == [3]
    finally:
        locks.close()
