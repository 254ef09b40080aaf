"""Labelled risk messages: the format of the risk classifier's training sets and of the test sets.

One YAML file per set, written by a person from the category descriptions:
`categories: {<category>: [text, ...]}` for disclosures and a top-level `benign: [text, ...]` for
messages that need no referral (their label is "none"). data/risk/examples/ holds the sets the
risk classifier learns from; tests/evaluation/ holds the ones it is measured on.
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Tuple

import yaml

from bot.risk.categories import Category

Labelled = Tuple[str, str]  # (text, category value; "none" for a benign message)

# Where the training sets live, relative to the project root (config.yml may name another).
EXAMPLES_DIR = "data/risk/examples"


def load_labelled(path: Path) -> List[Labelled]:
    """(text, expected category) pairs; benign messages expect "none"."""
    with open(path, encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    pairs = [(t, c) for c, texts in document["categories"].items() for t in texts]
    return pairs + [(t, Category.NONE.value) for t in document["benign"]]


def example_files(directory: Path) -> List[Path]:
    """The sets in `directory`, in a stable order (training must not depend on the file system)."""
    return sorted(directory.glob("*.yml"))


def load_directory(directory: Path) -> List[Labelled]:
    return [pair for path in example_files(directory) for pair in load_labelled(path)]
