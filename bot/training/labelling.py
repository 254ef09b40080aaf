"""Write a trainer's label into the training data, in Rasa's format, as a one-line diff.

A labelled message becomes one `- text` line at the end of its intent's `examples: |` block, in
whichever data/nlu file already holds that intent, data/nlu/look_alikes.yml last (a risk
category is the intent `risk_<category>` in data/nlu/risk.yml). ruamel.yaml's round trip keeps
every comment, the key order and the quoting; the project's files come back byte for byte, which
a test checks, so the diff a trainer commits is exactly the lines they added. The same text
already under the same intent is a duplicate and writes nothing; under another intent it is a
conflict and is refused unless the trainer confirms, because two labels for one text teach the
model nothing.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import LiteralScalarString

# The labelled risk sets' benign messages under their intents (a second block for many intents).
LOOK_ALIKES = "look_alikes.yml"
_EXAMPLE_LINE = re.compile(r"^\s*-\s+(.*?)\s*$")


@dataclass(frozen=True)
class Found:
    intent: str
    path: Path
    text: str


@dataclass(frozen=True)
class Labelled:
    written: bool
    path: Optional[Path] = None
    duplicates: List[Found] = field(default_factory=list)
    conflicts: List[Found] = field(default_factory=list)


def _yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=2, offset=0)
    return yaml


def normalise(text: str) -> str:
    """What makes two examples the same for a trainer: case, spacing and end punctuation aside."""
    return re.sub(r"\s+", " ", text).strip().rstrip(".!?").strip().lower()


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _documents(data_dir: Path) -> List[Tuple[Path, dict]]:
    """Every NLU file, the look-alikes last: a trainer's label belongs in its intent's topic file,
    which is where the first block of that intent is found."""
    yaml = _yaml()
    paths = sorted(data_dir.glob("*.yml"), key=lambda path: (path.name == LOOK_ALIKES, path.name))
    return [(path, yaml.load(path.read_text(encoding="utf-8"))) for path in paths]


def existing_examples(data_dir: Path) -> Dict[str, List[Found]]:
    """Every example in the NLU files, by normalised text."""
    found: Dict[str, List[Found]] = {}
    for path, document in _documents(data_dir):
        for block in (document or {}).get("nlu") or []:
            if "intent" not in block:
                continue
            for line in str(block.get("examples", "")).splitlines():
                match = _EXAMPLE_LINE.match(line)
                if match and match.group(1):
                    found.setdefault(normalise(match.group(1)), []).append(
                        Found(block["intent"], path, match.group(1)))
    return found


def conflicting_examples(data_dir: Path) -> Dict[str, List[Found]]:
    """Texts the data already gives more than one intent."""
    return {text: places for text, places in existing_examples(data_dir).items()
            if len({p.intent for p in places}) > 1}


def label(data_dir: Path, text: str, intent: str, allow_conflict: bool = False) -> Labelled:
    """Add `text` as an example of `intent`; see the module docstring for duplicates and conflicts."""
    line = _one_line(text)
    if not line:
        raise ValueError("an empty message cannot be a training example")
    places = existing_examples(data_dir).get(normalise(line), [])
    duplicates = [p for p in places if p.intent == intent]
    conflicts = [p for p in places if p.intent != intent]
    if duplicates:
        return Labelled(False, duplicates[0].path, duplicates, conflicts)
    if conflicts and not allow_conflict:
        return Labelled(False, None, [], conflicts)
    for path, document in _documents(data_dir):
        for block in (document or {}).get("nlu") or []:
            if block.get("intent") == intent:
                existing = str(block.get("examples", ""))
                block["examples"] = LiteralScalarString(
                    existing + ("" if existing.endswith("\n") or not existing else "\n") + f"- {line}\n")
                out = io.StringIO()
                _yaml().dump(document, out)
                path.write_text(out.getvalue(), encoding="utf-8")
                return Labelled(True, path, [], conflicts)
    raise LookupError(f"no intent {intent!r} in {data_dir}: add it to domain.yml and a data file first")
