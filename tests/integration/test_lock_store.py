"""The lock store against the machine's Redis (127.0.0.1:6379): one holder per conversation, ever.

Each "replica" is a separate process with its own ProjectLockStore (its own Redis connections);
inside the lock each does a read-modify-write on a shared counter with a pause in between, so any
overlap would lose an increment, and a Redis INCR/DECR gauge records how many were inside at once.
"""
from __future__ import annotations

import asyncio
import multiprocessing
import uuid

import pytest
import redis

from bot.storage.lock_store import ProjectLockStore

REDIS_URL = "redis://127.0.0.1:6379/0"
REPLICAS, TASKS_EACH, TURNS_EACH = 3, 6, 5


@pytest.fixture
def conversation():
    name = f"test-{uuid.uuid4().hex}"
    yield name
    redis.Redis.from_url(REDIS_URL).delete(*(f"{name}:{k}" for k in ("counter", "inside", "most")))


def _replica(conversation: str) -> None:
    async def turn(store: ProjectLockStore, client) -> None:
        async with store.lock(conversation, lock_lifetime=30):
            inside = await client.incr(f"{conversation}:inside")
            await client.eval("if tonumber(ARGV[1]) > tonumber(redis.call('get', KEYS[1]) or 0) then "
                              "redis.call('set', KEYS[1], ARGV[1]) end", 1, f"{conversation}:most", inside)
            value = int(await client.get(f"{conversation}:counter") or 0)
            await asyncio.sleep(0.002)
            await client.set(f"{conversation}:counter", value + 1)
            await client.decr(f"{conversation}:inside")

    async def main() -> None:
        store = ProjectLockStore(url=REDIS_URL)
        client = store.redis
        for _ in range(TURNS_EACH):
            await asyncio.gather(*(turn(store, client) for _ in range(TASKS_EACH)))
        await client.close()

    asyncio.run(main())


def test_replicas_racing_for_one_conversation_never_hold_it_at_the_same_time(conversation):
    spawn = multiprocessing.get_context("spawn")
    processes = [spawn.Process(target=_replica, args=(conversation,)) for _ in range(REPLICAS)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
        assert process.exitcode == 0
    client = redis.Redis.from_url(REDIS_URL)
    assert int(client.get(f"{conversation}:counter")) == REPLICAS * TASKS_EACH * TURNS_EACH
    assert int(client.get(f"{conversation}:most")) == 1


def test_a_dead_holders_lock_expires_and_its_late_release_cannot_free_the_new_holders_lock(conversation):
    async def scenario() -> None:
        dead, alive = ProjectLockStore(url=REDIS_URL), ProjectLockStore(url=REDIS_URL)
        holder = dead.lock(conversation, lock_lifetime=0.3)
        await holder.__aenter__()  # a replica takes the lock, then stops answering
        started = asyncio.get_running_loop().time()
        async with alive.lock(conversation, lock_lifetime=30):
            waited = asyncio.get_running_loop().time() - started
            assert 0.2 < waited < 5  # it waited for the lifetime, not forever
            await holder.__aexit__(None, None, None)  # the first replica wakes and "releases"
            assert await alive.redis.exists("safer-sleep:lock:" + conversation) == 1  # still ours
        assert await alive.redis.exists("safer-sleep:lock:" + conversation) == 0
        await dead.redis.close()
        await alive.redis.close()

    asyncio.run(scenario())


def test_without_redis_turns_of_one_conversation_in_one_process_run_one_at_a_time(monkeypatch):
    monkeypatch.delenv("LOCK_STORE_URL", raising=False)
    from bot.config import get_settings

    get_settings.cache_clear()
    try:
        store = ProjectLockStore()
    finally:
        get_settings.cache_clear()
    assert store.redis is None
    inside, most = 0, 0

    async def turn() -> None:
        nonlocal inside, most
        async with store.lock("c"):
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.001)
            inside -= 1

    async def main() -> None:
        await asyncio.gather(*(turn() for _ in range(50)))

    asyncio.run(main())
    assert most == 1 and store._local == {}
