"""Make a parent's "/restart" or "/affirm" plain text.

Rasa treats any message that starts with "/" as an intent name with optional slot values, after the
NLU pipeline has run (its RegexMessageHandler). A parent typing "/restart" would then wipe their own
conversation, and "/affirm" could consent to a handoff they never read. This component runs first in
the pipeline and removes leading slashes, so the classifier, the risk detector and Rasa all see the
words as words. The tracker keeps the text exactly as the parent sent it.
"""
from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


def neutralise(text: str) -> str:
    """The text without the leading slashes (and the spaces between them) that make it a command."""
    stripped = text.lstrip()
    while stripped.startswith("/"):
        stripped = stripped[1:].lstrip()
    return stripped if stripped != text.lstrip() else text


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class SlashCommandGuard(GraphComponent):
    """First in the pipeline: no parent text can act as a Rasa command."""

    @classmethod
    def create(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "SlashCommandGuard":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str):
                message.set(TEXT, neutralise(text))
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data  # training examples never start with "/"
