"""The hazard log names a test as the evidence for each control; a renamed or deleted test would
leave a control with no evidence while the log still claims it. Every test it names must exist."""
import re
from pathlib import Path

from bot.config import PROJECT_ROOT

HAZARD_LOG = PROJECT_ROOT / "docs" / "clinical-safety.md"
NAMED_TEST = re.compile(r"`(tests/[\w/]+\.py)::(\w+)")


def named_tests():
    return NAMED_TEST.findall(HAZARD_LOG.read_text(encoding="utf-8"))


def test_the_hazard_log_names_tests_as_evidence():
    assert len(named_tests()) >= 20


def test_every_test_the_hazard_log_names_exists():
    missing = []
    for path, name in named_tests():
        source = PROJECT_ROOT / path
        # a function, a class, or a name bound at module level (hypothesis: `test_x = Machine.TestCase`)
        defined = source.exists() and re.search(rf"^\s*(async )?def {name}\(|^(class )?{name}\b",
                                                  source.read_text(encoding="utf-8"), re.MULTILINE)
        if not defined:
            missing.append(f"{path}::{name}")
    assert missing == []
