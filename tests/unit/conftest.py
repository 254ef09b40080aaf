"""Fixtures every unit test gets."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from bot.nlu import embedding_cache


@pytest.fixture(scope="session", autouse=True)
def training_embeddings_in_tmp(tmp_path_factory) -> Iterator[Path]:
    """A component trained in a unit test keeps its texts' embeddings in a throwaway file, not in
    the project's var/embeddings, which real trainings reuse (bot/nlu/embedding_cache.py)."""
    path = tmp_path_factory.mktemp("embeddings") / "cache.npz"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(embedding_cache, "for_training", lambda: embedding_cache.EmbeddingCache(path))
        yield path
