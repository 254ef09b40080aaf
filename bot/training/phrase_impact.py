"""`python -m bot.training.phrase_impact`: what a change to the risk phrases does, before it is committed.

A phrase written to catch one missed message can also start flagging ordinary questions ("relapsed"
matched "relaxed"), so every change is read against every labelled text there is: the phrase
layer's verdict with the committed list (`--base`, default HEAD) and with the working copy, on the
risk development and training sets and the NLU examples, held-out ones included. The blind sets
(tests/evaluation/risk/ and tests/evaluation/nlu/blind.yml) are never read: once a trainer has
seen how a change moves them, they measure nothing. Only the phrase layer is compared; the model's
part does not change with the phrases.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import yaml

from bot.config import get_settings
from bot.evaluation.nlu import TEST_SET_DIR, load_examples
from bot.risk import phrases as phrase_list
from bot.risk.categories import Category, category_of_intent
from bot.risk.examples import EXAMPLES_DIR, example_files, load_labelled
from bot.risk.matcher import best_match
from bot.risk.phrases import PhraseList
from bot.training.phrase_check import PHRASES

DEV_SETS = Path("tests/evaluation/risk_dev")
BLIND_NLU = TEST_SET_DIR / "blind.yml"
NONE = Category.NONE.value


@dataclass(frozen=True)
class Text:
    source: str    # the file it came from, relative to the project
    text: str
    expected: str  # a risk category, or "none"


@dataclass(frozen=True)
class Change:
    text: Text
    before: str
    after: str

    @property
    def kind(self) -> str:
        expected = self.text.expected
        if expected == NONE:
            return "newly flagged (false alarm)" if self.after != NONE else "no longer flagged"
        if self.after == expected:
            return "newly caught"
        if self.before == expected:
            return "no longer caught"
        return "changed, still wrong"


def labelled_texts(root: Path, nlu_data_dir: Path) -> List[Text]:
    """Every labelled text except the blind sets', with the risk category it should get; the NLU
    examples come from `nlu_data_dir` (settings: NLU_DATA_DIR), the folder the model trains on."""
    texts = [Text(_source(path, root), text, expected)
             for directory in (root / DEV_SETS, root / EXAMPLES_DIR)
             for path in example_files(directory)
             for text, expected in load_labelled(path)]
    for directory in (nlu_data_dir, root / TEST_SET_DIR):
        for path in sorted(directory.glob("*.yml")):
            if path.resolve() == (root / BLIND_NLU).resolve():
                continue
            texts += [Text(_source(path, root), e.text, _category_value(e.intent))
                      for e in load_examples(path)]
    return texts


def _source(path: Path, root: Path) -> str:
    """The file as a trainer names it: relative to the project, or whole when NLU_DATA_DIR is elsewhere."""
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def _category_value(intent: Optional[str]) -> str:
    category = category_of_intent(intent)
    return category.value if category else NONE


def verdict(text: str, phrases: PhraseList) -> str:
    match, _context = best_match(text, phrases)
    return match.category.value if match else NONE


def impact(texts: Sequence[Text], before: PhraseList, after: PhraseList) -> List[Change]:
    changes = (Change(t, verdict(t.text, before), verdict(t.text, after)) for t in texts)
    return [c for c in changes if c.before != c.after]


def committed_list(root: Path, base: str) -> PhraseList:
    """The phrase list as committed at `base` (a git revision)."""
    shown = subprocess.run(["git", "show", f"{base}:{PHRASES.as_posix()}"], cwd=root,
                           capture_output=True, text=True, check=True)
    return phrase_list.parse(yaml.safe_load(shown.stdout), f"{base}:{PHRASES}")


def report(changes: Sequence[Change], total: int) -> str:
    kinds: Dict[str, List[Change]] = {}
    for change in changes:
        kinds.setdefault(change.kind, []).append(change)
    lines = [f"{len(changes)} of {total} labelled texts change (the blind sets are not read)"]
    for kind, found in sorted(kinds.items()):
        lines.append(f"\n{kind}: {len(found)}")
        lines += [f"  {c.before} -> {c.after} | expected {c.text.expected} | {c.text.text} ({c.text.source})"
                  for c in found]
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.training.phrase_impact", description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="HEAD", help="the git revision to compare with (default HEAD)")
    parser.add_argument("--strict", action="store_true",
                        help="exit 1 if any text is no longer caught or newly flagged")
    args = parser.parse_args(argv)
    settings = get_settings()
    root = settings.project_root
    texts = labelled_texts(root, settings.nlu_data_dir)
    changes = impact(texts, committed_list(root, args.base), phrase_list.load(root / PHRASES))
    print(report(changes, len(texts)))
    worse = [c for c in changes if c.kind in ("no longer caught", "newly flagged (false alarm)")]
    return 1 if args.strict and worse else 0


if __name__ == "__main__":
    sys.exit(main())
