"""The labelled risk sets' disclosures reach NLU training as risk-intent examples (config.yml importers),
beside everything Rasa's own file importer gives, which is read once."""
from __future__ import annotations

import collections
import textwrap
from pathlib import Path

from rasa.shared.importers import utils
from rasa.shared.importers.importer import TrainingDataImporter
from rasa.shared.importers.rasa import RasaFileImporter

from bot.config import PROJECT_ROOT

# The project's domain and data, as `rasa train` passes them to the importers.
PATHS = (str(PROJECT_ROOT / "domain.yml"), [str(PROJECT_ROOT / "data")])


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load_nlu(tmp_path: Path):
    examples = tmp_path / "examples"
    write(examples / "set_01.yml", """\
        categories:
          emergency: ["Baby  NOT breathing", "lips gone blue n hes floppy"]
          substance_use: ["been on the vodka all day while hes here"]
        benign: ["is a glass of wine ok before bed"]
        """)
    write(tmp_path / "data" / "nlu.yml", """\
        version: "3.1"
        nlu:
        - intent: risk_emergency
          examples: |
            - baby not breathing
        - intent: sleep_alcohol
          examples: |
            - can i have a drink and bedshare
        """)
    config = write(tmp_path / "config.yml", f"""\
        language: en
        importers:
          - name: bot.nlu.risk_examples_importer.RiskExamplesImporter
            examples: {examples}
        """)
    importer = TrainingDataImporter.load_from_config(str(config), str(PROJECT_ROOT / "domain.yml"),
                                                     [str(tmp_path / "data")])
    return importer.get_nlu_data()


def test_each_disclosure_becomes_an_example_of_its_risk_intent_and_benign_messages_do_not(tmp_path):
    by_intent = collections.defaultdict(list)
    for message in load_nlu(tmp_path).intent_examples:
        by_intent[message.get("intent")].append(message.get("text"))
    assert sorted(by_intent["risk_emergency"]) == ["baby not breathing", "lips gone blue n hes floppy"]
    assert by_intent["risk_substance_use"] == ["been on the vodka all day while hes here"]
    assert by_intent["sleep_alcohol"] == ["can i have a drink and bedshare"]
    assert "is a glass of wine ok before bed" not in [t for texts in by_intent.values() for t in texts]


def test_the_projects_config_adds_the_labelled_sets_to_rasas_own_nlu_files():
    configured = TrainingDataImporter.load_from_config(str(PROJECT_ROOT / "config.yml"), *PATHS)
    files_only = RasaFileImporter(None, *PATHS)
    added = len(configured.get_nlu_data().intent_examples) - len(files_only.get_nlu_data().intent_examples)
    assert added > 3000  # 3,581 disclosures in the sets on 2026-11-27, a few of them already in data/nlu


def test_the_projects_config_reads_the_nlu_files_once(monkeypatch):
    reads = []
    read = utils.training_data_from_paths
    monkeypatch.setattr(utils, "training_data_from_paths", lambda *args: reads.append(args) or read(*args))
    TrainingDataImporter.load_from_config(str(PROJECT_ROOT / "config.yml"), *PATHS).get_nlu_data()
    assert len(reads) == 1


def test_the_domain_stories_and_config_are_rasas_own_files():
    configured = TrainingDataImporter.load_from_config(str(PROJECT_ROOT / "config.yml"), *PATHS)
    files_only = RasaFileImporter(str(PROJECT_ROOT / "config.yml"), *PATHS)
    assert configured.get_domain().as_dict() == files_only.get_domain().as_dict()
    assert configured.get_stories().fingerprint() == files_only.get_stories().fingerprint()
    assert configured.get_conversation_tests().fingerprint() == files_only.get_conversation_tests().fingerprint()
    assert configured.get_config() == files_only.get_config()
    assert configured.get_config_file_for_auto_config() is None  # config.yml is used as written
