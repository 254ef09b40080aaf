"""The risk classifier: learns "none" from every ordinary intent and from the labelled sets' benign
messages, survives saving and loading, retrains when a set changes, and never embeds a message itself."""
import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu import minilm
from bot.risk.classifier import RISK_RANKING_KEY, RiskClassifier, TextFeatures, class_weights
from tests.unit.counting_embedder import CountingEmbedder

NLU = {
    "greet": ["hello there", "hi", "hiya", "good morning", "hey you"],
    "sleep_sofa": ["can baby sleep on the sofa", "is the settee ok for naps", "sofa sleeping safe?",
                   "can i doze with him on the couch", "armchair naps ok?"],
    "risk_emergency": ["baby not breathing", "he has gone blue", "she is floppy and limp",
                       "cannot wake my baby", "baby is turning blue"],
    "risk_domestic_abuse": ["my partner hits me", "he punched me again", "scared of my boyfriend",
                            "he threatens to kill me", "he strangled me last night"],
}
# Benign hard negatives only the labelled sets teach: "killing me" and "hits" said of a baby.
SET = """version: 1
categories:
  domestic_abuse:
    - "my fella beats me when he drinks"
    - "he choked me and took my phone"
benign:
  - "this baby is killing me haha"
  - "baby hits me in the face with his rattle lol"
  - "teething is killing me"
  - "she hits me with her toys all day haha"
"""


def _context():
    return ExecutionContext(GraphSchema({}), "test")


def _training_data() -> TrainingData:
    return TrainingData([Message(data={TEXT: t, INTENT: i}) for i, texts in NLU.items() for t in texts])


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    directory = tmp_path_factory.mktemp("examples")
    (directory / "set_01.yml").write_text(SET)
    return directory


def _config(examples, **overrides):
    return {**RiskClassifier.get_default_config(), "examples": str(examples), **overrides}


@pytest.fixture(scope="module")
def storage(tmp_path_factory, examples):
    storage = LocalModelStorage(tmp_path_factory.mktemp("risk_classifier"))
    trained = RiskClassifier.create(_config(examples), storage, Resource("risk"), _context())
    trained.train(_training_data())
    return storage


def _loaded(storage, examples, **overrides) -> RiskClassifier:
    return RiskClassifier.load(_config(examples, **overrides), storage, Resource("risk"), _context())


def _top(classifier: RiskClassifier, text: str) -> str:
    return classifier.process([Message(data={TEXT: text})])[0].get(RISK_RANKING_KEY)[0]["name"]


def test_ordinary_intents_are_none_and_risk_intents_keep_their_names(storage, examples):
    classifier = _loaded(storage, examples)
    assert set(classifier.words.intents) == {"none", "risk_emergency", "risk_domestic_abuse"}
    assert _top(classifier, "hello good morning") == "none"
    assert _top(classifier, "my baby is not breathing") == "risk_emergency"


def test_the_sets_benign_messages_teach_what_is_not_a_disclosure(storage, examples):
    classifier = _loaded(storage, examples)
    assert _top(classifier, "this baby is killing me lol") == "none"
    assert _top(classifier, "my partner punched me") == "risk_domestic_abuse"


def test_the_ranking_is_sorted_probabilities(storage, examples):
    ranking = _loaded(storage, examples).process([Message(data={TEXT: "he hits me"})])[0].get(RISK_RANKING_KEY)
    confidences = [r["confidence"] for r in ranking]
    assert confidences == sorted(confidences, reverse=True)
    assert sum(confidences) == pytest.approx(1.0)


def test_the_ranking_is_kept_on_the_message_but_out_of_the_parse_output(storage, examples):
    message = _loaded(storage, examples).process([Message(data={TEXT: "he hits me"})])[0]
    assert message.get(RISK_RANKING_KEY)
    assert RISK_RANKING_KEY not in message.as_dict(only_output_properties=True)


def test_a_saved_classifier_loads_with_the_same_answers(tmp_path, examples):
    storage = LocalModelStorage(tmp_path)
    trained = RiskClassifier.create(_config(examples), storage, Resource("risk"), _context())
    trained.train(_training_data())
    loaded = _loaded(storage, examples)
    message = "he has gone blue and floppy"
    np.testing.assert_allclose(trained.probabilities(Message(data={TEXT: message})),
                               loaded.probabilities(Message(data={TEXT: message})))


def test_editing_a_labelled_set_changes_the_fingerprint(tmp_path):
    (tmp_path / "set_01.yml").write_text(SET)
    before = RiskClassifier.fingerprint_addon({"examples": str(tmp_path)})
    (tmp_path / "set_01.yml").write_text(SET.replace("teething", "colic"))
    assert RiskClassifier.fingerprint_addon({"examples": str(tmp_path)}) != before


def test_an_embedding_the_intent_classifier_computed_is_used_and_not_computed_again(storage, examples):
    classifier = _loaded(storage, examples)
    classifier.embedder = CountingEmbedder(classifier.embedder)
    message = Message(data={TEXT: "he has gone blue"})
    minilm.embedding_of(message, minilm.load())
    classifier.process([message])
    assert classifier.embedder.calls == 0
    counts = classifier.features.row("he has gone blue")
    with_embedding = classifier.full.probabilities(counts, message.get(minilm.EMBEDDING_KEY) * 3.0)
    assert message.get(RISK_RANKING_KEY)[0]["confidence"] == pytest.approx(with_embedding.max())


def test_without_the_intent_classifiers_embedding_the_text_features_alone_decide(storage, examples):
    classifier = _loaded(storage, examples)
    classifier.embedder = CountingEmbedder(classifier.embedder)
    message = classifier.process([Message(data={TEXT: "she is limp"})])[0]
    assert classifier.embedder.calls == 0 and not minilm.has_embedding(message)
    words_only = classifier.words.probabilities(classifier.features.row("she is limp"))
    assert message.get(RISK_RANKING_KEY)[0]["confidence"] == pytest.approx(words_only.max())


def test_balanced_weights_raised_to_a_power():
    labels = ["none"] * 6 + ["risk_emergency"] * 2
    assert class_weights(labels, 1.0) == {"none": pytest.approx(8 / 12), "risk_emergency": pytest.approx(2.0)}
    assert class_weights(labels, 0.0) == {"none": 1.0, "risk_emergency": 1.0}


@pytest.mark.parametrize("text", ["he hits me", "Baby NOT breathin!!", "👍", "", "zzz qqq"])
def test_a_single_message_gets_the_same_features_as_scikit_learn_gives(text):
    features = TextFeatures.fit([t for texts in NLU.values() for t in texts])
    np.testing.assert_allclose(features.row(text).toarray(), features.transform([text]).toarray())
