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


@pytest.mark.parametrize("held_out", ["tests/evaluation/risk/risk_test_set.yml",
                                      "tests/evaluation/risk_dev/risk_dev_set.yml",
                                      "tests/evaluation/risk_dev/risk_dev_set_2.yml",
                                      "tests/evaluation/risk_dev/risk_dev_set_3.yml",
                                      "tests/evaluation/risk_dev/risk_dev_set_4.yml",
                                      "tests/evaluation/risk_dev/risk_dev_set_5.yml",
                                      "tests/evaluation/risk_dev/risk_dev_set_6.yml",
                                      "tests/evaluation/risk_dev/risk_dev_set_7.yml",
                                      "tests/evaluation/risk_dev/risk_dev_set_8.yml",
                                      "tests/evaluation/risk_dev/risk_dev_set_9.yml"])
def test_the_risk_test_and_dev_sets_are_not_in_the_training_data_or_the_phrase_list(training, held_out):
    from bot.evaluation.risk import load_test_set

    seen = {normalise(e.text) for e in training}
    phrase_file = normalise((PROJECT_ROOT / "data" / "risk" / "phrases.yml").read_text())
    leaked = [text for text, _ in load_test_set(PROJECT_ROOT / held_out)
              if normalise(text) in seen or f" {normalise(text)} " in f" {phrase_file} "]
    if "risk_dev" in held_out:
        assert leaked == []
    else:  # the blind set: say how many, never which, or the failure itself shows it to a trainer
        count = len(leaked)
        assert count == 0, f"{count} blind test message(s) appear in the training data or phrase list"


def test_the_risk_test_set_has_40_per_category_and_150_benign():
    from bot.evaluation.risk import TEST_SET, load_test_set

    counts = Counter(category for _, category in load_test_set(PROJECT_ROOT / TEST_SET))
    assert counts.pop("none") >= 150
    assert len(counts) == 8 and min(counts.values()) >= 40
