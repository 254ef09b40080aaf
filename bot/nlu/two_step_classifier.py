"""Intent classifier in two steps: word and character counts first, the MiniLM embedding only if needed.

Most parents' messages share enough words with the training examples for a linear model on the
count features alone to be sure of the intent. The MiniLM sentence embedding (bot/nlu/minilm.py)
is what catches the wordings that share no words ("he's gone all limp" near "floppy baby"), but it
costs more than the rest of a reply put together. So two logistic regressions are trained, the way
Rasa's LogisticRegressionClassifier trains one: `words` on the count features, `full` on the count
features plus the embedding. A message is scored by `words`; only when its best intent is below
`words_confidence`, or a risk intent gets at least `risk_probability` from it (a disclosure
deserves every signal the bot has), is the embedding computed and the message scored by `full`.
With `words_confidence` above 1 every message takes the second step.

Both are scored by bot.nlu.linear.LinearScorer. The embedding is kept on the message
(bot.nlu.minilm.embedding_of), so the risk classifier after this one does not compute it again.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier as RasaIntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.linear_model import LogisticRegression

from bot.nlu import embedding_cache, minilm
from bot.nlu.linear import LinearScorer, dump_pair, fit_pair, load_pair
from bot.risk.categories import category_of_intent

def new_regression(config: Dict[str, Any]) -> LogisticRegression:
    """The settings of Rasa's LogisticRegressionClassifier, which this component replaces."""
    return LogisticRegression(solver="lbfgs", max_iter=config["max_iter"], class_weight="balanced",
                              tol=config["tol"], random_state=config["random_state"])


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TwoStepIntentClassifier(GraphComponent, RasaIntentClassifier):
    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            "max_iter": 100, "tol": 1e-4, "random_state": 42, "ranking_length": 10,
            # Weight of the embedding against the count features (both models are L2-regularised).
            "embedding_scale": 1.0,
            # The words-only answer is kept from this confidence up; above 1.0 it never is.
            "words_confidence": 1.1,
            # ...unless a risk intent gets at least this much from the words-only model.
            "risk_probability": 0.0,
        }

    def __init__(self, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 scorers: Optional[Tuple[LinearScorer, LinearScorer]] = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.embedder = minilm.load()
        self._use(scorers)

    def _use(self, scorers: Optional[Tuple[LinearScorer, LinearScorer]]) -> None:
        self.words, self.full = scorers if scorers else (None, None)
        intents = self.words.intents if self.words else []
        self.risk_intents = np.array([category_of_intent(i) is not None for i in intents], dtype=bool)

    @classmethod
    def create(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "TwoStepIntentClassifier":
        return cls(config, model_storage, resource)

    def embed(self, text: str) -> np.ndarray:
        return self.embedder.embed(text) * float(self.config["embedding_scale"])

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            return self._resource
        counts = scipy.sparse.vstack([count_features(e) for e in examples]).tocsr()
        scale = float(self.config["embedding_scale"])
        texts = [e.get(TEXT) for e in examples]
        embeddings = embedding_cache.for_training().embed_all(self.embedder, texts) * scale
        intents = [e.get(INTENT) for e in examples]
        words, full = fit_pair(new_regression(self.config), counts,
                               scipy.sparse.hstack([counts, embeddings]).tocsr(), intents)
        self._persist(words, full)
        self._use((LinearScorer.of(words, counts.shape[1]), LinearScorer.of(full, counts.shape[1])))
        return self._resource

    def _persist(self, words: LogisticRegression, full: LogisticRegression) -> None:
        with self._model_storage.write_to(self._resource) as directory:
            dump_pair(directory, words, full)

    @classmethod
    def load(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "TwoStepIntentClassifier":
        try:
            with model_storage.read_from(resource) as directory:
                words, full = load_pair(directory)
        except ValueError:  # nothing was persisted: trained without intent examples
            return cls(config, model_storage, resource)
        width = words.coef_.shape[1]
        return cls(config, model_storage, resource, (LinearScorer.of(words, width), LinearScorer.of(full, width)))

    def needs_embedding(self, probabilities: np.ndarray) -> bool:
        """Whether the words-only answer is too unsure, or too close to a disclosure, to keep."""
        if probabilities.max() < self.config["words_confidence"]:
            return True
        risky = probabilities[self.risk_intents]
        return risky.size > 0 and risky.max() >= self.config["risk_probability"]

    def probabilities(self, message: Message) -> np.ndarray:
        counts = count_features(message, self.words.counts.shape[0])
        words = self.words.probabilities(counts)
        if not self.needs_embedding(words):
            return words
        embedding = minilm.embedding_of(message, self.embedder) * float(self.config["embedding_scale"])
        return self.full.probabilities(counts, embedding)

    def process(self, messages: List[Message]) -> List[Message]:
        if self.words is None:
            return messages  # trained on no data (Rasa's own classifiers do the same)
        for message in messages:
            ranking = sorted(({"name": i, "confidence": float(p)} for i, p in
                              zip(self.words.intents, self.probabilities(message))),
                             key=lambda r: -r["confidence"])
            message.set(INTENT, ranking[0], add_to_output=True)
            if self.config["ranking_length"] > 0:
                ranking = ranking[: self.config["ranking_length"]]
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages


def count_features(message: Message, width: int = 0) -> scipy.sparse.csr_matrix:
    """The message's sentence-level count features, both featurizers' side by side (Rasa joins
    them). A message they found nothing in (emoji only, say) scores as a row of `width` zeros."""
    sentence = message.get_sparse_features(TEXT)[1]
    if sentence is None:
        return scipy.sparse.csr_matrix((1, width))
    return sentence.features.tocsr()
