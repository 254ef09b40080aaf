"""Keep CPython's garbage collector from stalling every conversation in a Rasa server for a quarter second.

A loaded model is about half a million Python objects (TensorFlow, the Rasa graph, the
featurizers' vocabularies) that live as long as the model does. A full (generation 2) collection
walks all of them: in the Rasa server under the load benchmark that took 235 to 351 ms, about once
a minute, and every parent whose message was in flight waited that long. `gc.freeze()` moves every
object alive at that moment into a permanent generation that collections skip, so a full
collection walks only what was made since (8 ms measured). When another model is loaded (a
promotion or a rollback), everything is unfrozen and collected once, so the model that went out
of service can be freed, and then frozen again.
"""
from __future__ import annotations

import asyncio
import gc
import logging
from typing import Callable, Optional, Protocol

logger = logging.getLogger(__name__)

CHECK_SECONDS = 1.0


class ServingAgent(Protocol):
    """What of rasa.core.agent.Agent this needs."""

    @property
    def model_id(self) -> Optional[str]: ...

    def is_ready(self) -> bool: ...


class FreezeAfterEachModel:
    """Freezes the heap once per model, after the model has loaded."""

    def __init__(self, agent: Callable[[], Optional[ServingAgent]]) -> None:
        self.agent = agent
        self.frozen_for: Optional[str] = None

    def check(self) -> bool:
        """Freeze if a model has loaded since the last freeze; True if it froze now."""
        current = self.agent()
        if current is None or not current.is_ready() or current.model_id == self.frozen_for:
            return False
        gc.unfreeze()  # the previous model's objects may be collected again
        gc.collect()
        gc.freeze()
        self.frozen_for = current.model_id
        logger.info("model %s loaded: %s objects frozen out of garbage collection", self.frozen_for,
                    gc.get_freeze_count())
        return True

    async def run(self) -> None:
        """Check every CHECK_SECONDS until cancelled."""
        while True:
            self.check()
            await asyncio.sleep(CHECK_SECONDS)
