"""`python -m bot.training.phrase_check`: the risk-phrase list's syntax, checked at validation.

The Rasa server reads data/risk/phrases.yml when it starts, so a typo there would stop the bot
starting; `make validate` (and the dashboard's Validate button) finds it first, with where it is.
"""
from __future__ import annotations

import sys
from pathlib import Path

import yaml

from bot.config import get_settings
from bot.risk.phrases import PhraseListError, load

PHRASES = Path("data/risk/phrases.yml")


def check(path: Path) -> str:
    """'' if the list loads; otherwise what is wrong and where."""
    try:
        phrases = load(path)
    except (PhraseListError, yaml.YAMLError, ValueError, KeyError, TypeError, OSError) as error:
        return f"{path}: {error}"
    print(f"{path}: {len(phrases.entries)} risk phrases, version {phrases.version}: OK")
    return ""


def main() -> int:
    problem = check(get_settings().project_root / PHRASES)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
