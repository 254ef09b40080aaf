"""Rasa importer: the labelled risk sets' disclosures as examples of the risk intents.

The risk classifier (bot/risk/classifier.py) learns from data/nlu and the labelled sets in
data/risk/examples/; the intent classifier learned from data/nlu alone, so on wordings only the
sets teach it was often sure of the wrong risk ("he just flops when i lift him": 0.95 child
neglect, where the risk classifier said 0.80 emergency), and the detector's blend of the two fell
below its threshold. With this importer every disclosure in those sets is also an example of its
category's risk intent (`risk_<category>`) in every training run that reads config.yml (`rasa
train`, `make train`, the dashboard's training). The risk classifier, which reads the sets itself
as well, so sees each disclosure twice; that is the configuration that was measured.

Benign messages have no intent label in the sets, so they are not added here: the same messages,
each under the intent that answers it, are in data/nlu/look_alikes.yml. Without them the
disclosures alone raised false alarms (README "Quality gates").

A text already in data/nlu is not added again, so a set never contradicts an NLU example. To know
those texts without reading data/nlu a second time, this importer is the only one config.yml
names: it is Rasa's file importer (config, domain, stories, NLU files) with the disclosures added
to the NLU data that importer loaded.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Text, Union

from rasa.shared.core.domain import Domain
from rasa.shared.core.training_data.structures import StoryGraph
from rasa.shared.importers.importer import TrainingDataImporter
from rasa.shared.importers.rasa import RasaFileImporter
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.config import PROJECT_ROOT
from bot.risk.categories import Category, intent_for
from bot.risk.examples import EXAMPLES_DIR, load_directory


class RiskExamplesImporter(TrainingDataImporter):
    """Rasa's file importer, whose NLU data also holds the sets' disclosures."""

    def __init__(self, config_file: Optional[Text] = None, domain_path: Optional[Text] = None,
                 training_data_paths: Optional[Union[List[Text], Text]] = None,
                 examples: Text = EXAMPLES_DIR, **_: Any) -> None:
        self.directory = PROJECT_ROOT / examples
        self.files = RasaFileImporter(config_file, domain_path, training_data_paths)

    def get_nlu_data(self, language: Optional[Text] = "en") -> TrainingData:
        files = self.files.get_nlu_data(language)
        return files.merge(TrainingData(disclosure_examples(self.directory, _normalised_texts(files))))

    def get_domain(self) -> Domain:
        return self.files.get_domain()

    def get_stories(self, exclusion_percentage: Optional[int] = None) -> StoryGraph:
        return self.files.get_stories(exclusion_percentage)

    def get_conversation_tests(self) -> StoryGraph:
        return self.files.get_conversation_tests()

    def get_config(self) -> Dict:
        return self.files.get_config()

    def get_config_file_for_auto_config(self) -> Optional[Text]:
        """None, as Rasa gave for the two importers this one replaced: config.yml is used as
        written, never completed and rewritten by Rasa's auto-config."""
        return None


def disclosure_examples(directory: Path, known: Set[str]) -> List[Message]:
    """Each disclosure in the sets as an example of its risk intent, unless its text is `known`."""
    examples, seen = [], set(known)
    for text, category in load_directory(directory):
        key = _normalised(text)
        if category == Category.NONE.value or key in seen:
            continue
        seen.add(key)
        examples.append(Message(data={TEXT: " ".join(text.split()), INTENT: intent_for(Category(category))}))
    return examples


def _normalised_texts(data: TrainingData) -> Set[str]:
    return {_normalised(m.get(TEXT)) for m in data.intent_examples if m.get(TEXT)}


def _normalised(text: str) -> str:
    """Case and spacing do not make a new example."""
    return " ".join(text.lower().split())
