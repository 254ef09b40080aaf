"""Per-key exclusive locks that hold across processes, so several bot replicas can share one queue.

The inbox must handle one parent's messages one at a time and in order, and the outbox must send
to one recipient one message at a time, whichever replica does the work; `python -m bot subject
erase`, a process of its own, holds the inbox's locks on a parent while it deletes their records.
A key (a sender id, a phone number) is held by at most one `KeyLocks` at a time, in any process,
and a lock lives exactly as long as its holder: a process killed with `kill -9` loses its locks,
and another takes the parent's messages over at once, with no lease to expire.

On PostgreSQL each key maps to a session-level advisory lock, `pg_try_advisory_lock(namespace,
hash(key))`, taken on one connection each `KeyLocks` keeps for its locks.

On SQLite (the newcomer's default) each key maps to a POSIX record lock on one byte of a file
beside the database (`app.db` -> `app.db-keylocks`), at offset (namespace, hash(key)); the kernel
drops a process's record locks when it exits, however it exits. Record locks belong to the process,
not to a descriptor, and closing any descriptor of the file drops all of them, so a process opens
each lock file once and shares it among its `KeyLocks` (`_LockFile`), which also keeps two of them
in one process apart, as two PostgreSQL sessions are. An in-memory database, which no other
process can open, needs only the in-process set. The lock file holds no data and may be deleted
while no bot process runs.

Locks are taken with `try`, never waited for: a worker that finds a parent busy skips to the next
one. Two keys may share a 32-bit hash; then they are serialised together across `KeyLocks`
(within one they are both taken, as one PostgreSQL session takes an advisory lock twice), which
costs a little concurrency and never correctness.
"""
from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import threading
from typing import ClassVar, Dict, FrozenSet, Optional, Set, Tuple

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


def lock_file_path(url: sa.engine.URL) -> Optional[str]:
    """Where a SQLite database's key locks live: beside the file every process opens, resolved
    as SQLite resolves it (from the working directory) and through symlinks, so two URLs naming one
    database share one descriptor. None for an in-memory database or another dialect."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return os.path.realpath(url.database) + "-keylocks"


def _byte(namespace: int, key: str) -> int:
    """The key's byte in the lock file: its namespace above, its unsigned hash below."""
    return (namespace << 32) | (key_hash(key) & 0xFFFFFFFF)


class _LockFile:
    """This process's one descriptor on a lock file, shared by every `KeyLocks` on it, with which
    of them holds each byte (and how many of its keys share that byte).

    The kernel sees one owner, the process, so this decides between `KeyLocks` objects: a byte
    another one holds is refused here, and the kernel lock goes only when its last key does. The
    descriptor is closed when the last `KeyLocks` using it lets go, never earlier: that would drop
    the locks of the others."""

    _open: ClassVar[Dict[str, "_LockFile"]] = {}
    # One mutex for the registry and every file's holders: each use is a dictionary step and at
    # most one system call.
    _mutex: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, path: str) -> None:
        self.path = path
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        self.users = 0
        self.holders: Dict[int, Tuple[object, int]] = {}

    @classmethod
    def attach(cls, path: str) -> "_LockFile":
        with cls._mutex:
            lock_file = cls._open.get(path)
            if lock_file is None:
                lock_file = cls._open[path] = cls(path)
            lock_file.users += 1
            return lock_file

    def detach(self, user: object) -> None:
        """Let go of every byte `user` holds; close the descriptor if nobody else uses it."""
        with self._mutex:
            for offset in [offset for offset, (holder, _) in self.holders.items() if holder is user]:
                del self.holders[offset]
                fcntl.lockf(self.fd, fcntl.LOCK_UN, 1, offset)
            self.users -= 1
            if self.users == 0:
                del self._open[self.path]
                os.close(self.fd)

    def take(self, user: object, offset: int) -> bool:
        """True if `user` now holds the byte; False if another `KeyLocks`, here or in another
        process, does."""
        with self._mutex:
            holder, keys = self.holders.get(offset, (user, 0))
            if holder is not user:
                return False
            if keys == 0:
                try:
                    fcntl.lockf(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, offset)
                except (BlockingIOError, PermissionError):  # EAGAIN or EACCES: another process has it
                    return False
            self.holders[offset] = (user, keys + 1)
            return True

    def give_back(self, offset: int) -> None:
        """One key on this byte is released; the byte goes with the last."""
        with self._mutex:
            holder, keys = self.holders[offset]
            if keys > 1:
                self.holders[offset] = (holder, keys - 1)
                return
            del self.holders[offset]
            fcntl.lockf(self.fd, fcntl.LOCK_UN, 1, offset)


class KeyLocks:
    """Try-locks on string keys in one namespace; thread-safe (callers run in worker threads)."""

    def __init__(self, engine: sa.engine.Engine, namespace: int) -> None:
        self.engine, self.namespace = engine, namespace
        self.shared = engine.dialect.name == "postgresql"
        self.lock_file = lock_file_path(engine.url)
        self.held: Set[str] = set()
        self._mutex = threading.Lock()
        self._connection: Optional[sa.engine.Connection] = None
        self._file: Optional[_LockFile] = None

    def holding(self) -> FrozenSet[str]:
        """The keys this process holds now: its busy parents or recipients."""
        with self._mutex:
            return frozenset(self.held)

    def try_acquire(self, key: str) -> bool:
        """True if this object now holds `key`; False if it or another one, here or in another
        process, already does."""
        with self._mutex:
            if key in self.held or not self._lock(key):
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
            elif self._file is not None:
                self._file.give_back(_byte(self.namespace, key))

    def close(self) -> None:
        """Release every lock at once, as a process that stops (or dies) does."""
        with self._mutex:
            self.held.clear()
            self._drop()

    def _lock(self, key: str) -> bool:
        """Take `key` from other `KeyLocks` objects and processes (the caller checked this one)."""
        if self.shared:
            return self._call("pg_try_advisory_lock", key)
        if self.lock_file is None:
            return True
        if self._file is None:
            self._file = _LockFile.attach(self.lock_file)
        return self._file.take(self, _byte(self.namespace, key))

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
        """Let go of every lock outside this object. On PostgreSQL, close the database connection
        itself, not just hand it back to the pool: a pooled connection would keep its session-level
        locks for whoever borrows it next. On SQLite, give this object's bytes back."""
        if self._connection is not None:
            try:
                self._connection.invalidate()
                self._connection.close()
            except sa.exc.DBAPIError:
                pass
            self._connection = None
        if self._file is not None:
            self._file.detach(self)
            self._file = None
