"""The Rasa server's database calls: enough threads that a call never waits for one behind others."""
from __future__ import annotations

import asyncio
import os
import threading

import pytest

from bot.channels.twilio import DATABASE_THREADS, use_database_threads
from bot.messaging.worker import CONCURRENT_PARENTS


def _all_at_once(calls: int, use_threads: bool) -> bool:
    """Whether `calls` blocking calls through `asyncio.to_thread` are all running at the same moment."""
    meet = threading.Barrier(calls, timeout=5)

    def call() -> bool:
        try:
            meet.wait()
            return True
        except threading.BrokenBarrierError:
            return False

    async def main() -> bool:
        if use_threads:
            use_database_threads(asyncio.get_running_loop())
        return all(await asyncio.gather(*(asyncio.to_thread(call) for _ in range(calls))))

    return asyncio.run(main())


def test_as_many_database_calls_as_parents_served_run_at_once():
    assert DATABASE_THREADS >= CONCURRENT_PARENTS
    assert _all_at_once(CONCURRENT_PARENTS, use_threads=True)


@pytest.mark.skipif(min(32, (os.cpu_count() or 1) + 4) >= CONCURRENT_PARENTS,
                    reason="Python's default pool is big enough on a machine with this many cores")
def test_without_them_pythons_default_pool_would_make_calls_queue():
    assert not _all_at_once(CONCURRENT_PARENTS, use_threads=False)
