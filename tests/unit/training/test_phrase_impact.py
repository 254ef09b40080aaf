"""A trainer sees what a phrase change does to every labelled text, and never to the blind sets."""
from __future__ import annotations

import subprocess

from bot.config import PROJECT_ROOT, load_settings
from bot.evaluation.risk import TEST_SET
from bot.risk.phrases import parse
from bot.training.phrase_impact import BLIND_NLU, Text, committed_list, impact, labelled_texts

BEFORE = parse({"version": 1, "categories": {"emergency": ["not breathing"], "substance_use": ["relapsed"]}})
AFTER = parse({"version": 2, "categories": {"emergency": ["not breathing", "gone grey"],
                                            "substance_use": ["i relapsed"]}})


def test_a_change_is_sorted_into_caught_lost_and_false_alarms_gone():
    texts = [Text("a", "he has gone grey", "emergency"),
             Text("b", "relapsed last week, baby is 3 weeks", "substance_use"),
             Text("c", "the boxer in that film relapsed, brilliant acting", "none"),
             Text("d", "he is not breathing", "emergency")]
    kinds = {c.text.source: c.kind for c in impact(texts, BEFORE, AFTER)}
    assert kinds == {"a": "newly caught", "b": "no longer caught", "c": "no longer flagged"}


def test_a_new_false_alarm_is_named_as_one():
    [change] = impact([Text("c", "the boxer in that film relapsed, brilliant acting", "none")], AFTER, BEFORE)
    assert change.kind == "newly flagged (false alarm)"


def test_every_labelled_text_is_read_except_the_blind_sets():
    sources = {t.source for t in labelled_texts(PROJECT_ROOT, load_settings({}).nlu_data_dir)}
    assert str(TEST_SET) not in sources and str(BLIND_NLU) not in sources
    assert "tests/evaluation/risk_dev/risk_dev_set_37.yml" in sources
    assert "data/risk/examples/set_31.yml" in sources
    assert "tests/evaluation/nlu/safer_sleep.yml" in sources
    assert "data/nlu/risk.yml" in sources


def test_the_nlu_examples_come_from_the_folder_the_settings_name(tmp_path):
    (tmp_path / "risk.yml").write_text('version: "3.1"\nnlu:\n- intent: risk_emergency\n'
                                       '  examples: |\n    - he has gone grey\n')
    texts = labelled_texts(PROJECT_ROOT, load_settings({"NLU_DATA_DIR": str(tmp_path)}).nlu_data_dir)
    assert Text(str(tmp_path / "risk.yml"), "he has gone grey", "emergency") in texts
    assert not any(t.source.startswith("data/nlu/") for t in texts)


def test_the_base_list_is_read_from_git_not_from_the_working_copy(tmp_path):
    phrases = tmp_path / "data" / "risk" / "phrases.yml"
    phrases.parent.mkdir(parents=True)
    phrases.write_text("version: committed\ncategories:\n  emergency:\n    - not breathing\n")
    for command in (["init", "-q"], ["add", "."],
                    ["-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "phrases"]):
        subprocess.run(["git", *command], cwd=tmp_path, check=True)
    phrases.write_text("version: edited\ncategories:\n  emergency:\n    - gone grey\n")
    assert committed_list(tmp_path, "HEAD").version == "committed"
