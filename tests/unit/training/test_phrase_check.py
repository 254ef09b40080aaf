"""Validation catches a broken risk-phrase list before the Rasa server would fail to start on it."""
from __future__ import annotations

import shutil

from bot.config import PROJECT_ROOT
from bot.training.phrase_check import PHRASES, check


def test_the_projects_phrase_list_loads(tmp_path):
    copy = tmp_path / "phrases.yml"
    shutil.copyfile(PROJECT_ROOT / PHRASES, copy)
    assert check(copy) == ""


def test_a_broken_phrase_list_is_reported_with_its_file(tmp_path):
    for text in ("version: 1\ncategories:\n  not_a_category:\n    - hello\n",
                 "version: 1\ncategories: [unclosed\n"):
        broken = tmp_path / "phrases.yml"
        broken.write_text(text)
        assert check(broken).startswith(str(broken)), text
