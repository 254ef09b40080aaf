"""The held-out test set really is held out, and every intent has enough examples of both kinds."""
import re
from collections import Counter

import pytest
import yaml

from bot.config import PROJECT_ROOT
from bot.evaluation.nlu import TEST_SET_DIR, load_examples

MIN_TRAINING_EXAMPLES = 15
MIN_TEST_PHRASINGS = 8


def normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


@pytest.fixture(scope="module")
def training():
    return load_examples(PROJECT_ROOT / "data" / "nlu")


@pytest.fixture(scope="module")
def test_set():
    return load_examples(PROJECT_ROOT / TEST_SET_DIR)


@pytest.fixture(scope="module")
def domain_intents():
    with open(PROJECT_ROOT / "domain.yml") as handle:
        return set(yaml.safe_load(handle)["intents"])


def test_no_test_phrasing_appears_in_the_training_data(training, test_set):
    seen = {normalise(e.text) for e in training}
    leaked = [e.text for e in test_set if normalise(e.text) in seen]
    assert leaked == []


def test_every_intent_has_at_least_8_held_out_phrasings(test_set, domain_intents):
    counts = Counter(e.intent for e in test_set)
    short = {i: counts[i] for i in domain_intents if counts[i] < MIN_TEST_PHRASINGS}
    assert short == {}


def test_every_intent_has_enough_training_examples(training, domain_intents):
    counts = Counter(e.intent for e in training)
    short = {i: counts[i] for i in domain_intents if counts[i] < MIN_TRAINING_EXAMPLES}
    assert short == {}


def test_no_training_example_is_labelled_with_two_intents(training):
    labels = {}
    for example in training:
        labels.setdefault(normalise(example.text), set()).add(example.intent)
    conflicts = {text: intents for text, intents in labels.items() if len(intents) > 1}
    assert conflicts == {}


RISK_EXAMPLES = PROJECT_ROOT / "data" / "risk" / "examples"
HELD_OUT_RISK_SETS = ["tests/evaluation/risk/risk_test_set.yml"] + sorted(
    str(p.relative_to(PROJECT_ROOT)) for p in (PROJECT_ROOT / "tests" / "evaluation" / "risk_dev").glob("*.yml"))


def test_there_are_held_out_risk_development_sets():
    assert len(HELD_OUT_RISK_SETS) >= 3


@pytest.mark.parametrize("held_out", HELD_OUT_RISK_SETS)
def test_the_risk_test_and_dev_sets_are_not_in_any_training_data_or_the_phrase_list(training, held_out):
    """Not in the NLU examples, not in the risk classifier's labelled sets, not in the phrase list."""
    from bot.risk.examples import load_directory, load_labelled

    seen = {normalise(e.text) for e in training} | {normalise(t) for t, _ in load_directory(RISK_EXAMPLES)}
    phrase_file = normalise((PROJECT_ROOT / "data" / "risk" / "phrases.yml").read_text())
    leaked = [text for text, _ in load_labelled(PROJECT_ROOT / held_out)
              if normalise(text) in seen or f" {normalise(text)} " in f" {phrase_file} "]
    if "risk_dev" in held_out:
        assert leaked == []
    else:  # the blind set: say how many, never which, or the failure itself shows it to a trainer
        count = len(leaked)
        assert count == 0, f"{count} blind test message(s) appear in the training data or phrase list"


def test_every_labelled_risk_example_set_loads_with_known_categories():
    from bot.risk.categories import Category
    from bot.risk.examples import example_files, load_labelled

    files = example_files(RISK_EXAMPLES)
    assert files
    for path in files:
        categories = {category for _, category in load_labelled(path)}
        assert categories <= {c.value for c in Category}, path.name


def test_the_risk_test_set_has_40_per_category_and_150_benign():
    from bot.evaluation.risk import TEST_SET
    from bot.risk.examples import load_labelled

    counts = Counter(category for _, category in load_labelled(PROJECT_ROOT / TEST_SET))
    assert counts.pop("none") >= 150
    assert len(counts) == 8 and min(counts.values()) >= 40
