"""A classifier for risk alone, beside the intent classifier: which category of disclosure, if any.

Why a second classifier. The intent classifier must put every message into one of about fifty
intents, and the risk development sets' benign messages ("this baby is killing me haha", "my
friend's baby died of SIDS years ago") have no intent of their own: labelling them with guessed
intents pulled ordinary questions away from their answers (the sofa question lost its advice, see
README "Quality gates"). This classifier asks one question, so its "none" class can hold every
message that is not a disclosure: every non-risk NLU example, and the benign messages of the
labelled sets in data/risk/examples/, the hard negatives. Its risk classes learn from the risk
intents' NLU examples and the sets' disclosures. Since the sets' disclosures became risk-intent
NLU examples as well (bot/nlu/risk_examples_importer.py), it sees each of them twice; the intent
classifier learns them too, with the sets' benign messages under reviewed intents
(data/nlu/look_alikes.yml).

How. The sets' texts never pass through the pipeline's featurizers, so this component has its own:
TF-IDF over the normalised words (bot.risk.normalise; pairs too) and over character pieces inside
words, which carry typos and text-speak, plus the MiniLM sentence embedding, which carries meaning.
As in bot.nlu.two_step_classifier, two logistic regressions are trained, on the text features
alone and with the embedding. A message is scored with the embedding only when the intent
classifier computed it (it does when unsure or near a risk): computing it here as well, for every
message the text features put near a risk, cost 0.46 embeddings per held-out message instead of
0.27 (about 3 ms of CPU per message) and changed no result on development sets 14 and 15.

Class weights are "balanced" (inverse to each class's count) raised to `class_weight_power`: 1 is
fully balanced, 0 unweighted. Disclosures are a few hundred examples per category against several
thousand of "none", and unweighted the rarer categories were missed.

The result is `risk_ranking` on the message, in the intent ranking's form with `risk_<category>`
and `none` as names; bot.risk.component blends it with the intent ranking's `risk_*` probabilities
(bot.risk.detector.blended_ranking). It stays out of the parse output, so it is not stored with every
message in the conversation store: the detector's `risk` is what a health visitor or trainer reads.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from bot.config import PROJECT_ROOT
from bot.nlu import embedding_cache, minilm
from bot.nlu.linear import LinearScorer, dump_pair, fit_pair, load_pair
from bot.risk.categories import Category, category_of_intent, intent_for
from bot.risk.examples import EXAMPLES_DIR, example_files, load_directory
from bot.risk.normalise import normalise

RISK_RANKING_KEY = "risk_ranking"
NONE_LABEL = Category.NONE.value
FEATURES_FILE = "text_features.npz"


def label_of_intent(intent: str) -> str:
    """`risk_<category>` for a risk intent's example, "none" for every other intent's."""
    return intent if category_of_intent(intent) else NONE_LABEL


def label_of_category(category: str) -> str:
    return NONE_LABEL if category == NONE_LABEL else intent_for(Category(category))


def normalised_text(text: str) -> str:
    return " ".join(normalise(text))


@dataclass
class TextFeatures:
    """TF-IDF of word pairs and of character pieces inside words, over the normalised text."""

    words: TfidfVectorizer
    pieces: TfidfVectorizer

    @staticmethod
    def _vectorizers(words_vocabulary: Optional[Dict[str, int]] = None,
                     pieces_vocabulary: Optional[Dict[str, int]] = None) -> Tuple[TfidfVectorizer, TfidfVectorizer]:
        words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, vocabulary=words_vocabulary)
        # min_df 2: a piece seen in one example only is noise, and the vocabulary stays small.
        pieces = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True,
                                 min_df=1 if pieces_vocabulary else 2, vocabulary=pieces_vocabulary)
        return words, pieces

    @classmethod
    def fit(cls, texts: Sequence[str]) -> "TextFeatures":
        words, pieces = cls._vectorizers()
        normalised = [normalised_text(t) for t in texts]
        words.fit(normalised)
        pieces.fit(normalised)
        return cls(words, pieces)

    @property
    def width(self) -> int:
        return len(self.words.vocabulary_) + len(self.pieces.vocabulary_)

    def transform(self, texts: Sequence[str]) -> scipy.sparse.csr_matrix:
        normalised = [normalised_text(t) for t in texts]
        return scipy.sparse.hstack([self.words.transform(normalised),
                                    self.pieces.transform(normalised)]).tocsr()

    def row(self, text: str) -> scipy.sparse.csr_matrix:
        """`transform([text])`, computed directly: scikit-learn's checks and conversions (and its
        `idf_`, rebuilt from a sparse matrix on every read) cost about 0.7 ms per vectorizer per
        call, ten times the arithmetic of one short message."""
        normalised = normalised_text(text)
        columns, values, offset = [], [], 0
        for analyzer, vocabulary, idf in self._parts:
            counts = Counter(vocabulary[t] for t in analyzer(normalised) if t in vocabulary)
            if counts:
                ids = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
                tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
                weights = (1 + np.log(tf)) * idf[ids]  # sublinear tf times idf, then unit length
                columns.append(ids + offset)
                values.append(weights / np.linalg.norm(weights))
            offset += len(vocabulary)
        if not columns:
            return scipy.sparse.csr_matrix((1, offset))
        joined_columns, joined_values = np.concatenate(columns), np.concatenate(values)
        return scipy.sparse.csr_matrix((joined_values, joined_columns, [0, len(joined_columns)]),
                                       shape=(1, offset))

    @property
    def _parts(self) -> List[Tuple[Any, Dict[str, int], np.ndarray]]:
        """(analyzer, vocabulary, idf) of each vectorizer, built on first use."""
        if not hasattr(self, "_built_parts"):
            self._built_parts = [(v.build_analyzer(), v.vocabulary_, np.asarray(v.idf_))
                                 for v in (self.words, self.pieces)]
        return self._built_parts

    def to_arrays(self) -> Dict[str, np.ndarray]:
        """Vocabularies and weights as plain arrays: nothing to unpickle when the model loads."""
        return {f"{name}_{part}": value for name, vectorizer in (("words", self.words), ("pieces", self.pieces))
                for part, value in (("terms", _terms(vectorizer)), ("idf", vectorizer.idf_))}

    @classmethod
    def from_arrays(cls, arrays: Dict[str, np.ndarray]) -> "TextFeatures":
        vocabularies = [{str(t): i for i, t in enumerate(arrays[f"{name}_terms"])} for name in ("words", "pieces")]
        words, pieces = cls._vectorizers(*vocabularies)
        words.idf_ = arrays["words_idf"]
        pieces.idf_ = arrays["pieces_idf"]
        return cls(words, pieces)


def _terms(vectorizer: TfidfVectorizer) -> np.ndarray:
    vocabulary = vectorizer.vocabulary_
    return np.array(sorted(vocabulary, key=vocabulary.get))


def class_weights(labels: Sequence[str], power: float) -> Dict[str, float]:
    counts = Counter(labels)
    return {label: (len(labels) / (len(counts) * count)) ** power for label, count in counts.items()}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class RiskClassifier(GraphComponent):
    """Writes `risk_ranking` onto each message; see the module docstring."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"examples": EXAMPLES_DIR, "max_iter": 2000, "random_state": 42,
                "class_weight_power": 1.0, "embedding_scale": 3.0}

    def __init__(self, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 trained: Optional[Tuple[TextFeatures, LinearScorer, LinearScorer]] = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.embedder = minilm.load()
        self.features, self.words, self.full = trained if trained else (None, None, None)

    @classmethod
    def create(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "RiskClassifier":
        return cls(config, model_storage, resource)

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """The labelled sets are read from disk, not handed over by the graph: without their
        contents in the fingerprint, Rasa's training cache would keep a model trained without an
        edit to them."""
        digest = hashlib.sha256()
        for path in example_files(cls._examples_dir(config)):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        return digest.hexdigest()

    @classmethod
    def _examples_dir(cls, config: Dict[str, Any]) -> Path:
        return PROJECT_ROOT / {**cls.get_default_config(), **config}["examples"]

    def training_pairs(self, training_data: TrainingData) -> List[Tuple[str, str]]:
        nlu = [(e.get(TEXT), label_of_intent(e.get(INTENT))) for e in training_data.intent_examples
               if e.get(TEXT) and e.get(INTENT)]
        sets = [(text, label_of_category(category))
                for text, category in load_directory(self._examples_dir(self.config))]
        return nlu + sets

    def train(self, training_data: TrainingData) -> Resource:
        pairs = self.training_pairs(training_data)
        if not pairs:
            return self._resource
        texts, labels = [t for t, _ in pairs], [label for _, label in pairs]
        features = TextFeatures.fit(texts)
        counts = features.transform(texts)
        scale = float(self.config["embedding_scale"])
        embeddings = embedding_cache.for_training().embed_all(self.embedder, texts) * scale
        words, full = fit_pair(self._regression(labels), counts,
                               scipy.sparse.hstack([counts, embeddings]).tocsr(), labels)
        self._persist(features, words, full)
        self.features = features
        self.words, self.full = LinearScorer.of(words, features.width), LinearScorer.of(full, features.width)
        return self._resource

    def _regression(self, labels: Sequence[str]) -> LogisticRegression:
        return LogisticRegression(solver="lbfgs", max_iter=self.config["max_iter"],
                                  random_state=self.config["random_state"],
                                  class_weight=class_weights(labels, float(self.config["class_weight_power"])))

    def _persist(self, features: TextFeatures, words: LogisticRegression, full: LogisticRegression) -> None:
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(directory / FEATURES_FILE, **features.to_arrays())
            dump_pair(directory, words, full)

    @classmethod
    def load(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "RiskClassifier":
        try:
            with model_storage.read_from(resource) as directory:
                with np.load(directory / FEATURES_FILE, allow_pickle=False) as arrays:
                    features = TextFeatures.from_arrays(dict(arrays))
                words, full = load_pair(directory)
        except ValueError:  # nothing was persisted: trained without examples
            return cls(config, model_storage, resource)
        width = features.width
        return cls(config, model_storage, resource, (features, LinearScorer.of(words, width),
                                                     LinearScorer.of(full, width)))

    def probabilities(self, message: Message) -> np.ndarray:
        counts = self.features.row(message.get(TEXT) or "")
        if not minilm.has_embedding(message):
            return self.words.probabilities(counts)
        embedding = minilm.embedding_of(message, self.embedder) * float(self.config["embedding_scale"])
        return self.full.probabilities(counts, embedding)

    def process(self, messages: List[Message]) -> List[Message]:
        if self.words is None:
            return messages  # trained on no data
        for message in messages:
            ranking = sorted(({"name": str(label), "confidence": float(p)} for label, p in
                              zip(self.words.intents, self.probabilities(message))),
                             key=lambda r: -r["confidence"])
            message.set(RISK_RANKING_KEY, ranking)
        return messages
