"""The loaded intent classifier scores exactly like Rasa's, without copying its weights per message."""
import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.intent_classifier import IntentClassifier

WIDTH = 40
INTENTS = ("greet", "goodbye", "thank")  # three or more: two would give a one-row weight matrix


def _message(index: int, intent: str) -> Message:
    vector = np.zeros((1, WIDTH))
    vector[0, index % WIDTH] = 1.0
    vector[0, (index * 7 + INTENTS.index(intent)) % WIDTH] += 1.0
    message = Message(data={TEXT: f"message {index}", INTENT: intent})
    message.add_features(Features(scipy.sparse.coo_matrix(vector), FEATURE_TYPE_SENTENCE, TEXT, "t"))
    return message


def _trained_and_loaded(tmp_path, component_class):
    directory = tmp_path / component_class.__name__
    directory.mkdir()
    storage = LocalModelStorage(directory)
    resource = Resource("classifier")
    context = ExecutionContext(GraphSchema({}), "test")
    config = component_class.get_default_config()
    trained = component_class.create(config, storage, resource, context)
    trained.train(TrainingData([_message(i, INTENTS[i % 3]) for i in range(30)]))
    return component_class.load(config, storage, resource, context)


def _probabilities(component, messages):
    return [[r["confidence"] for r in m.get("intent_ranking")] for m in component.process(messages)]


def test_loaded_classifier_gives_the_same_probabilities_as_rasas(tmp_path):
    ours = _trained_and_loaded(tmp_path, IntentClassifier)
    rasas = _trained_and_loaded(tmp_path, LogisticRegressionClassifier)
    def unseen():
        return [_message(i, "greet") for i in range(100, 110)]

    assert _probabilities(ours, unseen()) == _probabilities(rasas, unseen())


def test_loaded_weights_are_laid_out_so_scoring_copies_nothing(tmp_path):
    ours = _trained_and_loaded(tmp_path, IntentClassifier)
    assert ours.clf.coef_.T.flags["C_CONTIGUOUS"]
