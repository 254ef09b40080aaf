"""Per-key exclusive locks that hold across processes, so several bot replicas can share one queue.

The inbox must handle one parent's messages one at a time and in order, and the outbox must send
to one recipient one message at a time, whichever replica does the work. On PostgreSQL each key
(a sender id, a phone number) maps to a session-level advisory lock, `pg_try_advisory_lock(
namespace, hash(key))`, taken on one connection this process keeps for its locks. A lock lives
exactly as long as that connection: a replica killed with `kill -9` loses its connection and so
its locks, and another replica takes the parent's messages over at once, with no lease to expire.

On SQLite (one process, the newcomer's default) the same object is an in-process set, which is
all the exclusivity one process needs.

Advisory locks are taken with `try`, never waited for: a worker that finds a parent busy skips to
the next one. Two keys may share a 32-bit hash; then they are serialised together, which costs a
little concurrency and never correctness.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from typing import FrozenSet, Optional, Set

import sqlalchemy as sa

from bot.alerts import LOCK_CONNECTION_LOST, alert

logger = logging.getLogger(__name__)

# First half of the two-int advisory lock key: one namespace per queue, so an inbox lock on a
# sender id never blocks an outbox lock on some phone number that happens to hash the same.
INBOX = 0x1B0C
OUTBOX = 0x0B0C
# Claims read this many candidates beyond what they want: the first ones may be held by other
# replicas (whose try-locks fail), and the rest must still be reachable.
OTHER_REPLICAS_SLACK = 64


def key_hash(key: str) -> int:
    """A stable signed 32-bit number for `key` (the same in every process and on every machine)."""
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=4).digest(), "big", signed=True)


class KeyLocks:
    """Try-locks on string keys in one namespace; thread-safe (callers run in worker threads)."""

    def __init__(self, engine: sa.engine.Engine, namespace: int) -> None:
        self.engine, self.namespace = engine, namespace
        self.shared = engine.dialect.name == "postgresql"
        self.held: Set[str] = set()
        self._mutex = threading.Lock()
        self._connection: Optional[sa.engine.Connection] = None

    def holding(self) -> FrozenSet[str]:
        """The keys this process holds now: its busy parents or recipients."""
        with self._mutex:
            return frozenset(self.held)

    def try_acquire(self, key: str) -> bool:
        """True if this process now holds `key`; False if it or another process already does."""
        with self._mutex:
            if key in self.held:
                return False
            if self.shared and not self._call("pg_try_advisory_lock", key):
                return False
            self.held.add(key)
            return True

    def release(self, key: str) -> None:
        """Let another worker (here or in another replica) take `key`."""
        with self._mutex:
            if key not in self.held:
                return
            self.held.discard(key)
            if self.shared and self._connection is not None:
                try:
                    if not self._call("pg_advisory_unlock", key):
                        logger.error("advisory lock %s/%s was not held when released", self.namespace, key_hash(key))
                except sa.exc.DBAPIError:
                    logger.exception("could not release an advisory lock; its connection is dropped")

    def close(self) -> None:
        """Release every lock at once, as a process that stops (or dies) does."""
        with self._mutex:
            self.held.clear()
            self._drop()

    def _call(self, function: str, key: str) -> bool:
        connection = self._connect()
        try:
            return bool(connection.execute(sa.text(f"SELECT {function}(:namespace, :key)"),
                                           {"namespace": self.namespace, "key": key_hash(key)}).scalar_one())
        except sa.exc.DBAPIError:
            # The connection (and every lock on it) is gone. Whoever still works on a key it held
            # keeps going; the inbox's and outbox's conditional "done" updates stop a second
            # worker from recording the same message twice. Say so loudly: it should be rare.
            if self.held:
                alert(LOCK_CONNECTION_LOST, "advisory-lock connection lost while holding %s locks", len(self.held))
            self.held.clear()
            self._drop()
            raise

    def _connect(self) -> sa.engine.Connection:
        if self._connection is None:
            # Autocommit: each lock call is its own statement, not part of a long transaction.
            self._connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self._connection

    def _drop(self) -> None:
        """Close the database connection itself, not just hand it back to the pool: a pooled
        connection would keep its session-level locks for whoever borrows it next."""
        if self._connection is not None:
            try:
                self._connection.invalidate()
                self._connection.close()
            except sa.exc.DBAPIError:
                pass
            self._connection = None
