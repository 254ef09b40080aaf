"""Labelling writes one line into the right file of a copy of the project's real NLU data,
keeping the rest byte for byte; duplicates and conflicts are reported, and Rasa still reads it."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT
from bot.training.labelling import conflicting_examples, existing_examples, label

REAL_NLU = PROJECT_ROOT / "data" / "nlu"


@pytest.fixture
def nlu_dir(tmp_path) -> Path:
    copy = tmp_path / "nlu"
    shutil.copytree(REAL_NLU, copy)
    return copy


def changed_lines(before: str, after: str):
    import difflib

    return [l for l in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
            if l[:1] in "+-" and not l.startswith(("+++", "---"))]


def test_a_label_is_one_added_line_at_the_end_of_its_intents_block(nlu_dir):
    before = {p.name: p.read_text() for p in nlu_dir.glob("*.yml")}
    result = label(nlu_dir, "  can i  swaddle in a sleeping bag\n", "sleep_swaddling")
    assert result.written and result.path.name == "sleep_situations.yml"
    after = result.path.read_text()
    assert changed_lines(before["sleep_situations.yml"], after) == ["+    - can i swaddle in a sleeping bag"]
    block = after.split("- intent: sleep_swaddling", 1)[1].split("- intent:", 1)[0]
    assert block.rstrip().endswith("- can i swaddle in a sleeping bag")
    assert all(p.read_text() == before[p.name] for p in nlu_dir.glob("*.yml") if p != result.path)


def test_a_risk_label_goes_to_the_risk_intent_and_keeps_the_files_comments(nlu_dir):
    original = (nlu_dir / "risk.yml").read_text()
    result = label(nlu_dir, "[name] keeps passing out with baby on the sofa", "risk_unsafe_sleep")
    assert result.path.name == "risk.yml"
    assert changed_lines(original, result.path.read_text()) == [
        "+    - [name] keeps passing out with baby on the sofa"]


def test_the_same_text_again_is_a_duplicate_and_writes_nothing(nlu_dir):
    label(nlu_dir, "can i swaddle in a sleeping bag", "sleep_swaddling")
    snapshot = (nlu_dir / "sleep_situations.yml").read_text()
    again = label(nlu_dir, "Can I swaddle in a sleeping bag?", "sleep_swaddling")
    assert not again.written and [d.intent for d in again.duplicates] == ["sleep_swaddling"]
    assert (nlu_dir / "sleep_situations.yml").read_text() == snapshot


def test_a_text_labelled_with_another_intent_is_a_conflict_refused_unless_confirmed(nlu_dir):
    text, first_intent = next((f.text, f.intent) for places in existing_examples(nlu_dir).values()
                              for f in places if f.intent == "sleep_swaddling")
    refused = label(nlu_dir, text, "greet")
    assert not refused.written and [c.intent for c in refused.conflicts] == [first_intent]
    assert conflicting_examples(nlu_dir) == {}
    forced = label(nlu_dir, text, "greet", allow_conflict=True)
    assert forced.written and [c.intent for c in forced.conflicts] == [first_intent]
    assert {f.intent for f in next(iter(conflicting_examples(nlu_dir).values()))} == {"greet", first_intent}


def test_an_unknown_intent_is_refused(nlu_dir):
    with pytest.raises(LookupError, match="no intent 'made_up'"):
        label(nlu_dir, "hello there friend", "made_up")


def test_rasa_reads_the_labelled_file(nlu_dir):
    from rasa.shared.nlu.training_data.loading import load_data

    label(nlu_dir, "is a sleeping bag ok when swaddling", "sleep_swaddling")
    examples = {(m.get("text"), m.get("intent")) for m in load_data(str(nlu_dir)).intent_examples}
    assert ("is a sleeping bag ok when swaddling", "sleep_swaddling") in examples
