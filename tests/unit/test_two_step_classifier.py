"""The two-step intent classifier: the embedding is computed only when the count features leave
the intent in doubt or near a risk, and its probabilities are scikit-learn's."""
import numpy as np
import pytest
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.two_step_classifier import TwoStepIntentClassifier, count_features
from tests.unit.counting_embedder import CountingEmbedder

WIDTH = 30
# Three or more intents: two would give scikit-learn a one-row weight matrix.
TEXTS = {
    "greet": ["hello there", "hi", "hiya", "good morning", "hey you"],
    "thank": ["thanks a lot", "thank you", "cheers", "ta very much", "much appreciated"],
    "risk_emergency": ["baby not breathing", "he has gone blue", "she is floppy and limp",
                       "cannot wake my baby", "baby is turning blue"],
}


def _message(text: str, column: int, intent: str = None) -> Message:
    """A message whose count features are one word, as a CountVectorsFeaturizer would give."""
    vector = np.zeros((1, WIDTH))
    vector[0, column] = 1.0
    message = Message(data={TEXT: text, **({INTENT: intent} if intent else {})})
    message.add_features(Features(scipy.sparse.coo_matrix(vector), FEATURE_TYPE_SENTENCE, TEXT, "counts"))
    return message


def _training_data() -> TrainingData:
    # Each intent owns ten feature columns, so the words-only model separates them sharply.
    return TrainingData([_message(text, 10 * i + j, intent)
                         for i, (intent, texts) in enumerate(TEXTS.items()) for j, text in enumerate(texts)])


@pytest.fixture(scope="module")
def storage(tmp_path_factory):
    storage = LocalModelStorage(tmp_path_factory.mktemp("two_step"))
    trained = TwoStepIntentClassifier.create(_config(), storage, Resource("classifier"), _context())
    trained.train(_training_data())
    return storage


def _config(**overrides):
    return {**TwoStepIntentClassifier.get_default_config(), **overrides}


def _context():
    return ExecutionContext(GraphSchema({}), "test")


def _loaded(storage, **overrides) -> TwoStepIntentClassifier:
    component = TwoStepIntentClassifier.load(_config(**overrides), storage, Resource("classifier"), _context())
    component.embedder = CountingEmbedder(component.embedder)
    return component


def test_a_message_the_words_decide_is_answered_without_the_embedding(storage):
    classifier = _loaded(storage, words_confidence=0.5, risk_probability=0.9)
    message = classifier.process([_message("hello there", 0)])[0]
    assert message.get(INTENT)["name"] == "greet"
    assert classifier.embedder.calls == 0


def test_an_unsure_words_only_answer_takes_the_embedding(storage):
    classifier = _loaded(storage, words_confidence=0.5, risk_probability=0.9)
    unseen_column = WIDTH - 1 - 4  # a feature no intent has learned: the words model is unsure
    message = classifier.process([_message("hiya love", unseen_column)])[0]
    words_only = classifier.words.probabilities(count_features(message, WIDTH))
    assert words_only.max() < 0.5
    assert classifier.embedder.calls == 1
    assert message.get(INTENT)["confidence"] != pytest.approx(words_only.max())


def test_a_hint_of_risk_always_takes_the_embedding(storage):
    classifier = _loaded(storage, words_confidence=0.5, risk_probability=0.1)
    message = classifier.process([_message("baby not breathing", 20)])[0]
    assert classifier.words.probabilities(count_features(message, WIDTH)).max() >= 0.5
    assert classifier.embedder.calls == 1
    assert message.get(INTENT)["name"] == "risk_emergency"


def test_by_default_every_message_takes_the_embedding(storage):
    classifier = _loaded(storage)
    classifier.process([_message("hello there", 0), _message("thank you", 11)])
    assert classifier.embedder.calls == 2


def test_probabilities_are_scikit_learns(storage):
    import skops.io as sio

    with storage.read_from(Resource("classifier")) as directory:
        words, full = sio.load(directory / "words.skops"), sio.load(directory / "full.skops")
    classifier = _loaded(storage)
    message = _message("she is floppy", 24)
    counts = count_features(message, WIDTH)
    embedding = classifier.embed("she is floppy")
    np.testing.assert_allclose(classifier.words.probabilities(counts), words.predict_proba(counts)[0])
    stacked = scipy.sparse.hstack([counts, embedding.reshape(1, -1)]).tocsr()
    np.testing.assert_allclose(classifier.full.probabilities(counts, embedding), full.predict_proba(stacked)[0],
                               rtol=1e-6)


def test_ranking_is_sorted_and_cut_to_its_length(storage):
    classifier = _loaded(storage, ranking_length=2)
    ranking = classifier.process([_message("cheers", 12)])[0].get(INTENT_RANKING_KEY)
    assert [r["confidence"] for r in ranking] == sorted((r["confidence"] for r in ranking), reverse=True)
    assert len(ranking) == 2


def test_a_message_with_no_count_features_is_still_classified(storage):
    classifier = _loaded(storage)
    message = classifier.process([Message(data={TEXT: "👍"})])[0]
    assert message.get(INTENT)["name"] in TEXTS


def test_weights_are_laid_out_so_scoring_copies_nothing(storage):
    classifier = _loaded(storage)
    assert classifier.words.counts.flags["C_CONTIGUOUS"] and classifier.full.counts.flags["C_CONTIGUOUS"]


def test_embedding_texts_together_gives_each_the_vector_it_gets_alone():
    """embed_all pads a batch to its longest text; the padding must not reach any text's vector."""
    from bot.nlu import minilm

    model = minilm.load()
    texts = ["hi", "she is floppy and wont wake up", "is it ok to bed share after one glass of wine at a wedding"]
    together = model.embed_all(texts)
    np.testing.assert_allclose(together, np.stack([model.embed(t) for t in texts]), atol=1e-5)


def test_the_pair_fitted_side_by_side_equals_the_pair_fitted_one_after_the_other():
    from sklearn.linear_model import LogisticRegression
    from bot.nlu.linear import fit_pair

    rng = np.random.default_rng(0)
    counts = scipy.sparse.csr_matrix(rng.poisson(0.3, size=(120, 40)).astype(float))
    with_embedding = scipy.sparse.hstack([counts, rng.normal(size=(120, 8))]).tocsr()
    labels = [("a", "b", "c")[i % 3] for i in range(120)]
    regression = LogisticRegression(solver="lbfgs", max_iter=200, class_weight="balanced")

    words, full = fit_pair(regression, counts, with_embedding, labels)

    assert np.array_equal(words.coef_, LogisticRegression(**regression.get_params()).fit(counts, labels).coef_)
    assert np.array_equal(full.coef_, LogisticRegression(**regression.get_params()).fit(with_embedding, labels).coef_)
    assert full.coef_.shape == (3, 48) and not hasattr(regression, "coef_")
