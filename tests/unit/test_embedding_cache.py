"""The training embeddings kept on disk (bot/nlu/embedding_cache.py)."""
from __future__ import annotations

import numpy as np
import pytest

from bot.nlu import embedding_cache, minilm
from bot.nlu.embedding_cache import KEEP_DAYS, EmbeddingCache

DAY = 86400.0


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def counted(monkeypatch):
    """The real MiniLM, recording which texts it was asked to compute."""
    model = minilm.load()
    computed = []
    embed_all = model.embed_all
    monkeypatch.setattr(model, "embed_all", lambda texts: computed.extend(texts) or embed_all(texts))
    return model, computed


def test_a_later_training_computes_only_the_texts_no_earlier_one_did(tmp_path, counted):
    model, computed = counted
    cache = EmbeddingCache(tmp_path / "cache.npz")
    first = cache.embed_all(model, ["hello there", "she is floppy", "hello there"])
    # The next component of the same training, or the next training: another process reading the file.
    second = EmbeddingCache(tmp_path / "cache.npz").embed_all(model, ["she is floppy", "thank you"])
    assert computed == ["hello there", "she is floppy", "thank you"]
    np.testing.assert_array_equal(first[1], second[0])
    np.testing.assert_array_equal(first[0], first[2])
    np.testing.assert_allclose(second, model.embed_all(["she is floppy", "thank you"]), atol=1e-5)


def test_a_text_no_training_used_for_keep_days_is_computed_again(tmp_path, counted):
    model, computed = counted
    clock = Clock()
    cache = EmbeddingCache(tmp_path / "cache.npz", now=clock)
    cache.embed_all(model, ["taken out of the data", "still trained on"])
    clock.now += (KEEP_DAYS - 1) * DAY
    cache.embed_all(model, ["still trained on"])
    clock.now += 2 * DAY
    cache.embed_all(model, ["still trained on", "taken out of the data"])
    assert computed == ["taken out of the data", "still trained on", "taken out of the data"]


def test_an_unreadable_file_is_replaced_and_every_text_computed(tmp_path, counted):
    model, computed = counted
    path = tmp_path / "cache.npz"
    path.write_bytes(b"half a file")
    vectors = EmbeddingCache(path).embed_all(model, ["is a sling safe"])
    assert computed == ["is a sling safe"] and vectors.shape == (1, 384)
    EmbeddingCache(path).embed_all(model, ["is a sling safe"])
    assert computed == ["is a sling safe"]


def test_a_change_to_minilms_code_starts_a_new_file(tmp_path, monkeypatch):
    before = embedding_cache.model_identity()
    changed = tmp_path / "minilm.py"
    changed.write_text(open(minilm.__file__).read() + "\n# changed\n")
    embedding_cache.model_identity.cache_clear()
    monkeypatch.setattr(minilm, "__file__", str(changed))
    try:
        assert embedding_cache.model_identity() != before
    finally:
        embedding_cache.model_identity.cache_clear()
