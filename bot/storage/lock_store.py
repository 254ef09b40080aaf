"""The Rasa lock store: one message per conversation at a time, across every Rasa replica.

Rasa takes this lock around each turn (a message, a slot set through the HTTP API, a reminder),
so two replicas never read, change and save one tracker at once and lose each other's events.

Why not Rasa 3.6's `RedisLockStore`: it keeps a ticket queue per conversation and reads it,
changes it and writes it back in separate Redis commands; two replicas can both read "nobody is
being served" and both go ahead. Here the lock is a single atomic Redis key per conversation:

- acquire: `SET lock:<id> <random token> NX PX <lifetime>`: exactly one caller gets it; a
  replica that dies while holding it blocks the conversation only until the lifetime ends;
- release: a Lua script deletes the key only if it still holds our token, so a replica whose
  lock expired can never release the lock someone else now holds.

Why Redis and not PostgreSQL advisory locks here: Rasa holds this lock across the whole turn,
including calls to the action server, from asynchronous code; an advisory lock would pin a
database connection per conversation in flight and need a thread for each call. The inbox
already orders each parent's Twilio messages with advisory locks (bot/db/locks.py); this lock
covers the paths the inbox does not see (REST, the HTTP API the dashboard uses to close a case).

Without LOCK_STORE_URL the locks are asyncio locks in this process: right for one Rasa server.
Waiting is not first-come-first-served (Rasa's tickets are); order per parent comes from the inbox.
"""
from __future__ import annotations

import asyncio
import contextlib
import random
import secrets
from typing import Any, AsyncGenerator, Dict, Optional, Text

import redis.asyncio as aioredis
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

from bot.config import get_settings

KEY_PREFIX = "safer-sleep:lock:"
# Longest a caller waits for a conversation before Rasa's LockError (the turn fails and is retried).
MAX_WAIT_SECONDS = 60.0
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class ProjectLockStore(LockStore):
    """Atomic Redis locks when LOCK_STORE_URL is set, in-process asyncio locks otherwise."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, url: Optional[str] = None) -> None:
        url = url or get_settings().lock_store_url
        self.redis = aioredis.Redis.from_url(url) if url else None
        self._release = self.redis.register_script(_RELEASE) if self.redis else None
        self._local: Dict[Text, asyncio.Lock] = {}

    @contextlib.asynccontextmanager
    async def lock(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: float = 1) -> AsyncGenerator[Any, None]:
        """Hold the conversation for one turn; LockError if it stays taken for MAX_WAIT_SECONDS."""
        if self.redis is None:
            async with self._local_lock(conversation_id):
                yield None
            return
        key, token = KEY_PREFIX + conversation_id, secrets.token_hex(16)
        await self._acquire(key, token, lock_lifetime, wait_time_in_seconds)
        try:
            yield None
        finally:
            await self._release(keys=[key], args=[token])

    async def _acquire(self, key: str, token: str, lifetime: float, max_pause: float) -> None:
        """Try at once, then again after short, growing, jittered pauses (up to `max_pause`)."""
        loop = asyncio.get_running_loop()
        deadline, pause = loop.time() + MAX_WAIT_SECONDS, 0.005
        while not await self.redis.set(key, token, nx=True, px=max(int(lifetime * 1000), 1)):
            if loop.time() > deadline:
                raise LockError(f"conversation lock {key} still taken after {MAX_WAIT_SECONDS:.0f} s")
            await asyncio.sleep(pause * random.uniform(0.5, 1.0))
            pause = min(pause * 2, max_pause)

    @contextlib.asynccontextmanager
    async def _local_lock(self, conversation_id: Text) -> AsyncGenerator[None, None]:
        lock = self._local.setdefault(conversation_id, asyncio.Lock())
        try:
            async with lock:
                yield
        finally:
            if not lock.locked() and not getattr(lock, "_waiters", None):
                self._local.pop(conversation_id, None)  # keep the dict to conversations in flight
