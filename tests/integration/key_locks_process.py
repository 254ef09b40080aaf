"""Another process with its own `KeyLocks` on a database (as the bot's worker is to `subject erase`),
driven from a test over a pipe. Spawned, so it inherits nothing from the test's process, and kept
in this small module so it starts without importing Rasa."""
from __future__ import annotations

import multiprocessing
from multiprocessing.connection import Connection
from typing import Dict

from bot.db.locks import KeyLocks
from bot.db.session import engine_for


class OtherProcess:
    """A live process holding key locks until told to release them, or killed."""

    def __init__(self, url: str) -> None:
        spawn = multiprocessing.get_context("spawn")
        self._pipe, child_end = spawn.Pipe()
        self.process = spawn.Process(target=_serve, args=(url, child_end), daemon=True)
        self.process.start()

    def try_acquire(self, namespace: int, key: str) -> bool:
        return self._ask("try_acquire", namespace, key)

    def release(self, namespace: int, key: str) -> None:
        self._ask("release", namespace, key)

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to let anything go."""
        self.process.kill()
        self.process.join()

    def _ask(self, method: str, namespace: int, key: str):
        self._pipe.send((method, namespace, key))
        return self._pipe.recv()


def _serve(url: str, pipe: Connection) -> None:
    """Call the asked `KeyLocks` method (one object per namespace) and send back its answer."""
    locks: Dict[int, KeyLocks] = {}
    while True:
        method, namespace, key = pipe.recv()
        if namespace not in locks:
            locks[namespace] = KeyLocks(engine_for(url), namespace)
        pipe.send(getattr(locks[namespace], method)(key))
