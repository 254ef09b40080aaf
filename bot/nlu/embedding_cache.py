"""Training embeddings kept on disk, so that a retrain embeds only the texts it has not seen before.

Both classifiers learn from the MiniLM embedding of every training text (about 8,400), and computing
them is the largest part of a retrain after a trainer labels a message: 35 s of the intent
classifier's 57 s here with the regressions capped, as in the whole-loop test. Every retrain but the
first embeds almost the same texts, so each text's vector is kept in one file per MiniLM (its weights
and this project's code for it, bot/nlu/minilm.py): a change to either starts a new file.

A kept vector was computed in another batch than a fresh one would be, so it may differ from it by
float rounding (MiniLM.embed_all pads each batch to its longest text); a model trained with a warm
cache can differ from one trained cold in the same way. An entry that no training has used for
KEEP_DAYS is dropped, so a text taken out of the training data does not stay here either.
"""
from __future__ import annotations

import hashlib
import logging
import os
import time
from functools import lru_cache
from pathlib import Path
from typing import Callable, Dict, Sequence, Tuple

import numpy as np

from bot.nlu import minilm

logger = logging.getLogger(__name__)

KEEP_DAYS = 30
_KEY = np.dtype("S64")  # the text's SHA-256, in hex (numpy strips trailing NUL bytes from raw digests)


def text_key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).hexdigest().encode("ascii")


class EmbeddingCache:
    """The file at `path`: every kept text's key, vector, and when a training last used it."""

    def __init__(self, path: Path, now: Callable[[], float] = time.time) -> None:
        self.path, self.now = path, now

    def embed_all(self, model: minilm.MiniLM, texts: Sequence[str]) -> np.ndarray:
        """`model.embed_all(texts)`, computing only the texts this file does not hold."""
        vectors, last_used = self._read()
        keys = {text: text_key(text) for text in dict.fromkeys(texts)}
        new = [text for text, key in keys.items() if key not in vectors]
        if new:
            vectors.update(zip((keys[text] for text in new), model.embed_all(new)))
        now = self.now()
        last_used.update((key, now) for key in keys.values())
        self._write(vectors, last_used)
        return np.stack([vectors[keys[text]] for text in texts])

    def _read(self) -> Tuple[Dict[bytes, np.ndarray], Dict[bytes, float]]:
        """The entries a training used in the last KEEP_DAYS: vectors, and when last used."""
        if not self.path.is_file():
            return {}, {}
        try:
            with np.load(self.path, allow_pickle=False) as saved:
                recent = saved["used"] >= self.now() - KEEP_DAYS * 86400
                keys = saved["keys"][recent].tolist()
                vectors, used = saved["vectors"][recent], saved["used"][recent].tolist()
            return dict(zip(keys, vectors)), dict(zip(keys, used))
        except (OSError, ValueError, KeyError) as error:
            logger.warning("embedding cache %s could not be read (%s); embedding every text", self.path, error)
            return {}, {}

    def _write(self, vectors: Dict[bytes, np.ndarray], last_used: Dict[bytes, float]) -> None:
        """Replace the file in one step: a training reading it meanwhile sees the old file or the new."""
        keys = list(vectors)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f"{self.path.name}.{os.getpid()}.partial")
        with open(partial, "wb") as out:
            np.savez(out, keys=np.array(keys, dtype=_KEY),
                     vectors=np.stack([vectors[key] for key in keys]).astype(np.float32),
                     used=np.array([last_used[key] for key in keys], dtype=np.float64))
        os.replace(partial, self.path)


@lru_cache(maxsize=1)
def model_identity() -> str:
    """What a kept vector depends on: MiniLM's weights and the code that runs them."""
    digest = hashlib.sha256(Path(minilm.__file__).read_bytes())
    with open(minilm.model_dir() / "model.safetensors", "rb") as weights:
        for block in iter(lambda: weights.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def for_training() -> EmbeddingCache:
    """The cache under the var directory (settings: BOT_VAR_DIR) for the MiniLM installed."""
    from bot.config import get_settings

    return EmbeddingCache(get_settings().var_dir / "embeddings" / f"minilm-{model_identity()}.npz")
