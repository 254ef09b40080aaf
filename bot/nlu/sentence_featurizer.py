"""A Rasa dense featurizer: the MiniLM sentence embedding of each message (bot.nlu.minilm).

No longer in config.yml: bot/nlu/two_step_classifier.py replaced it. It stays so that models trained
before that change (the live model until it is retrained, the registry's for a rollback) still load.

Word and character counts only know words they have seen in training; the embedding carries
meaning, so a new way of saying "she won't wake up" still lands near the emergency examples.
`scale` weighs the embedding against the count features for the linear classifier.
"""
from __future__ import annotations

from typing import Any, Dict, List

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu import minilm


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEmbeddingFeaturizer(DenseFeaturizer, GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {**DenseFeaturizer.get_default_config(), "scale": 1.0}

    @classmethod
    def validate_config(cls, config: Dict[str, Any]) -> None:
        if float(config.get("scale", 1.0)) <= 0:
            raise ValueError("SentenceEmbeddingFeaturizer: `scale` must be positive")

    @classmethod
    def create(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "SentenceEmbeddingFeaturizer":
        return cls(config, execution_context.node_name)

    def __init__(self, config: Dict[str, Any], name: str) -> None:
        super().__init__(name, config)
        self.model = minilm.load()
        self.scale = float(config["scale"])

    def _featurize(self, message: Message) -> None:
        text = message.get(TEXT)
        if not text:
            return
        sentence = (self.model.embed(text) * self.scale).reshape(1, -1).astype(np.float32)
        self.add_features_to_message(sequence=None, sentence=sentence, attribute=TEXT, message=message)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._featurize(message)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._featurize(example)
        return training_data
