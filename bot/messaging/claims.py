"""Claiming the next batch of work from a queue table, shared by the inbox worker and the outbox sender.

Both queues work the same way: a claim takes per-key locks (`bot.db.locks.KeyLocks`: a parent, a
recipient) and marks rows inside one transaction, at most as many as the process has room for.
Two things must hold for both, so they live here once: a claim that fails (the transaction is not
committed) lets go of the keys it locked, or those parents would wait until the process restarts;
and an unreachable database costs a log line and an empty batch, never the worker's task, because
the rows are safe in the database and will be claimed when it answers again.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from typing import Callable, List, Optional, TypeVar

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
