"""The Rasa server freezes its heap once per loaded model, so full collections skip the model."""
from __future__ import annotations

import gc
import weakref
from dataclasses import dataclass
from typing import Optional

import pytest

from bot.gc_freeze import FreezeAfterEachModel


@dataclass
class LoadedAgent:
    """An agent as the freezer sees it: which model it serves and whether that has loaded."""

    model_id: Optional[str]
    ready: bool = True

    def is_ready(self) -> bool:
        return self.ready


@pytest.fixture(autouse=True)
def unfrozen_afterwards():
    yield
    gc.unfreeze()


def test_nothing_is_frozen_before_a_model_has_loaded():
    serving: list = [None]
    freezer = FreezeAfterEachModel(lambda: serving[0])
    assert not freezer.check()
    serving[0] = LoadedAgent("m1", ready=False)
    assert not freezer.check() and gc.get_freeze_count() == 0


def test_the_heap_is_frozen_once_per_model_and_again_after_a_switch():
    serving = [LoadedAgent("m1")]
    freezer = FreezeAfterEachModel(lambda: serving[0])
    assert freezer.check() and gc.get_freeze_count() > 0
    assert not freezer.check()  # same model: no second full collection
    serving[0] = LoadedAgent("m2")
    assert freezer.check() and freezer.frozen_for == "m2"


def test_a_switch_unfreezes_first_so_the_old_models_cycles_can_be_freed():
    class Node:
        pass

    old_model = Node()
    old_model.self_reference = old_model  # a reference cycle: only the collector frees it
    still_there = weakref.ref(old_model)
    serving = [LoadedAgent("m1")]
    freezer = FreezeAfterEachModel(lambda: serving[0])
    freezer.check()
    del old_model
    gc.collect()
    assert still_there() is not None  # frozen: collections skip it
    serving[0] = LoadedAgent("m2")
    freezer.check()
    assert still_there() is None
