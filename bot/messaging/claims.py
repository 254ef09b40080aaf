"""Claiming the next batch of work from a queue table, shared by the inbox worker and the outbox sender.

Both queues work the same way: a claim takes per-key locks (`bot.db.locks.KeyLocks`: a parent, a
recipient) and marks rows inside one transaction, at most as many as the process has room for.
Two things must hold for both, so they live here once: a claim that fails (the transaction is not
committed) lets go of the keys it locked, or those parents would wait until the process restarts;
and an unreachable database costs a log line and an empty batch, never the worker's task, because
the rows are safe in the database and will be claimed when it answers again.

`Demand` is the other half both share: what the process has been told to claim next, the keys
named by whoever queued work for them (claimed directly) or a scan of the whole table (at start,
every `poll_seconds`, and after a key is let go when a scan filled every free place).
"""
from __future__ import annotations

import asyncio
import logging
import threading
from functools import partial
from typing import Callable, List, Optional, Set, TypeVar

from bot.db.locks import KeyLocks

Row = TypeVar("Row")


async def next_batch(locks: KeyLocks, capacity: int, claim: Callable[[int], List[Row]],
                     logger: logging.Logger, failure: str, guard: Optional[threading.Lock] = None) -> List[Row]:
    """Run `claim(free)` in a thread, where `free` is how many more keys this process may hold
    (`capacity` minus those it holds). Returns nothing when full, and nothing (logging `failure`
    with the traceback) when the claim raised. `guard`, when given, is held throughout: whoever
    else takes keys in `locks` from another thread holds it too, so the keys a failed claim lets
    go are only the ones it took."""
    free = capacity - len(locks.holding())
    if free <= 0:
        return []
    try:
        return await asyncio.to_thread(_guarded, guard, _claim_or_let_go, locks, claim, free)
    except Exception:  # noqa: BLE001 - keep the worker alive; the rows wait in the database
        logger.exception(failure)
        return []


def _guarded(guard: Optional[threading.Lock], function: Callable[..., Row], *args) -> Row:
    if guard is None:
        return function(*args)
    with guard:
        return function(*args)


def _claim_or_let_go(locks: KeyLocks, claim: Callable[[int], List[Row]], limit: int) -> List[Row]:
    """`claim(limit)`; if it raises, release every key it locked before raising again."""
    before = locks.holding()
    try:
        return claim(limit)
    except Exception:
        for key in locks.holding() - before:
            locks.release(key)
        raise


class Demand:
    """What a queue's process should claim next, and the wake-up its loop sleeps on.

    Naming a key (the webhook names the parent, the worker the recipient) costs one claim of that
    key instead of a scan of the table. A scan still finds what nobody named here: work queued by
    another process or replica, retries that came due, keys left waiting when the process was full.
    """

    def __init__(self, locks: KeyLocks, capacity: int, poll_seconds: float) -> None:
        self.locks, self.capacity, self.poll_seconds = locks, capacity, poll_seconds
        self.event = asyncio.Event()
        self._named: Set[str] = set()
        self._scan = True
        self._scan_on_release = False
        self._scanned_at = float("-inf")

    def wake(self, key: Optional[str] = None) -> None:
        """Work was queued: for `key` (claimed by name), or for anyone (scan)."""
        if key is None:
            self._scan = True
        else:
            self._named.add(key)
        self.event.set()

    async def next_batch(self, scan_claim: Callable[[int], List[Row]],
                         named_claim: Callable[[List[str], int], List[Row]], logger: logging.Logger,
                         failure: str, guard: Optional[threading.Lock] = None) -> List[Row]:
        """Clear the wake-up, then claim: by scanning when one is due, else the keys named since the
        last claim that this process does not hold (a held key stays named until it is let go)."""
        self.event.clear()
        now = asyncio.get_running_loop().time()
        scan = self._scan or now - self._scanned_at >= self.poll_seconds
        held = self.locks.holding()
        free = self.capacity - len(held)
        if scan:
            self._scan, self._scanned_at = False, now
            self._named.intersection_update(held)  # the scan finds the others' work
            claim = scan_claim
        else:
            named = sorted(self._named - held)[:max(free, 0)]
            if not named:
                return []
            self._named.difference_update(named)
            claim = partial(named_claim, named)
        rows = await next_batch(self.locks, self.capacity, claim, logger, failure, guard)
        if scan and len(rows) >= free:
            self._scan_on_release = True  # more may be waiting than there was room for
        return rows

    async def wait(self) -> None:
        """Sleep until woken or the next scan is due, unless there is claimable work already."""
        if self._scan or self._claimable():
            return
        left = self._scanned_at + self.poll_seconds - asyncio.get_running_loop().time()
        try:
            await asyncio.wait_for(self.event.wait(), max(0.0, left))
        except asyncio.TimeoutError:
            pass

    def released(self) -> None:
        """A key was let go: room for a key left waiting, or for a named one that came meanwhile."""
        if self._scan_on_release:
            self._scan_on_release, self._scan = False, True
        if self._scan or self._named:
            self.event.set()

    def _claimable(self) -> bool:
        """A named key this process does not hold, and room to take it."""
        held = self.locks.holding()
        return len(held) < self.capacity and bool(self._named - held)
