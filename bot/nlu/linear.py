"""A trained multinomial logistic regression, scored one message at a time without scikit-learn,
and how a classifier's two of them (text features alone, and with the embedding) are stored.

Scoring here rather than with `predict_proba`: the weights are kept in the layout a one-row sparse
product reads without copying (scikit-learn copied the 48 x 27,000 matrix on every message,
3.7 ms), and an embedding's weights are applied separately, so count features and embedding are
never stacked into one matrix. The probabilities equal scikit-learn's.
"""
from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence, Tuple

import numpy as np
import scipy.sparse
from scipy.special import softmax
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression


@dataclass
class LinearScorer:
    """`counts` is laid out so that `x @ counts` with a one-row CSR `x` reads it in place;
    `embedding` is None for a model trained on the count features alone."""

    intents: np.ndarray
    counts: np.ndarray  # (count features, classes), C order
    embedding: Optional[np.ndarray]  # (embedding width, classes)
    intercept: np.ndarray

    @classmethod
    def of(cls, regression: LogisticRegression, count_width: int) -> "LinearScorer":
        if regression.coef_.shape[0] != len(regression.classes_):
            raise ValueError("a multinomial scorer needs at least three classes")
        weights = regression.coef_.T
        embedding = np.ascontiguousarray(weights[count_width:]) if weights.shape[0] > count_width else None
        return cls(regression.classes_, np.ascontiguousarray(weights[:count_width]), embedding,
                   regression.intercept_)

    def probabilities(self, counts: scipy.sparse.csr_matrix,
                      embedding: Optional[np.ndarray] = None) -> np.ndarray:
        scores = np.asarray(counts @ self.counts).ravel() + self.intercept
        if self.embedding is not None:
            scores += embedding @ self.embedding
        return softmax(scores)


def fit_pair(regression: LogisticRegression, counts: scipy.sparse.csr_matrix,
             with_embedding: scipy.sparse.csr_matrix, labels: Sequence[str],
             ) -> Tuple[LogisticRegression, LogisticRegression]:
    """Two copies of `regression`, one fitted on the count features alone and one on counts plus
    embedding, fitted side by side: the second in a child process.

    Each fit is one single-threaded L-BFGS run (the intent classifier's took 108 and 181 s on
    7,668 examples here), so on two cores training waits for the longer one only. The child is
    spawned, not forked: a trainer's process may hold threads (TensorFlow's, a server's) that a
    fork would copy mid-lock. The fits are exactly those made one after the other."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as child:
        full = child.submit(clone(regression).fit, with_embedding, list(labels))
        words = clone(regression).fit(counts, labels)
        return words, full.result()


# A two-step classifier's pair of regressions, as stored in its model directory. skops, not pickle:
# loading trusts only the types a LogisticRegression needs.
WORDS_FILE = "words.skops"
FULL_FILE = "full.skops"


def dump_pair(directory: Path, words: LogisticRegression, full: LogisticRegression) -> None:
    import skops.io as sio

    sio.dump(words, directory / WORDS_FILE)
    sio.dump(full, directory / FULL_FILE)


def load_pair(directory: Path) -> Tuple[LogisticRegression, LogisticRegression]:
    import skops.io as sio

    return sio.load(directory / WORDS_FILE), sio.load(directory / FULL_FILE)
