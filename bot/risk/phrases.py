"""The trainers' risk-phrase list (data/risk/phrases.yml): loading and checking it.

An entry is either a phrase ("is not breathing") or a combination that needs one alternative from
every group somewhere in the message ({all: [[drunk, had a drink], [in bed with, on the sofa]]}).
A combination may add `unless: [...]`: phrases that mean the words are about something else
("screaming blue murder", "baby fell asleep on the sofa").
Phrases are stored normalised, so they compare word for word with normalised messages.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Tuple

import yaml

from bot.risk.categories import RISK_CATEGORIES, Category
from bot.risk.normalise import normalise

Phrase = Tuple[str, ...]


class PhraseListError(ValueError):
    """The phrase file is malformed; the message says where."""


@dataclass(frozen=True)
class Entry:
    category: Category
    groups: Tuple[Tuple[Phrase, ...], ...]  # one group for a plain phrase
    unless: Tuple[Phrase, ...] = ()

    @property
    def label(self) -> str:
        return " + ".join(" / ".join(" ".join(p) for p in group) for group in self.groups)


@dataclass(frozen=True)
class PhraseList:
    version: str
    entries: Tuple[Entry, ...]


def _phrase(raw: Any, where: str) -> Phrase:
    if not isinstance(raw, str) or not normalise(raw):
        raise PhraseListError(f"{where}: a phrase must be non-empty text, got {raw!r}")
    return tuple(normalise(raw))


def _combination(category: Category, raw: Dict[str, Any], where: str) -> Entry:
    groups, unless = raw.get("all"), raw.get("unless", [])
    if not set(raw) <= {"all", "unless"} or not isinstance(groups, list) or not groups:
        raise PhraseListError(f"{where}: a combination is {{all: [[...], ...], unless: [...]}}")
    if len(groups) < 2 and not unless:
        raise PhraseListError(f"{where}: a combination needs 2+ groups (or one group and `unless`)")
    if not isinstance(unless, list):
        raise PhraseListError(f"{where}: `unless` must be a list of phrases")
    parsed = []
    for index, group in enumerate(groups):
        if not isinstance(group, list) or not group:
            raise PhraseListError(f"{where} group {index}: must be a non-empty list of phrases")
        parsed.append(tuple(_phrase(p, f"{where} group {index}") for p in group))
    return Entry(category, tuple(parsed), tuple(_phrase(p, f"{where} unless") for p in unless))


def _entry(category: Category, raw: Any, where: str) -> Entry:
    if isinstance(raw, dict):
        return _combination(category, raw, where)
    return Entry(category, ((_phrase(raw, where),),))


def parse(document: Dict[str, Any], source: str = "phrases") -> PhraseList:
    version = document.get("version") if isinstance(document, dict) else None
    if not version:
        raise PhraseListError(f"{source}: needs a `version`")
    categories = document.get("categories") or {}
    unknown = set(categories) - {c.value for c in RISK_CATEGORIES}
    if unknown:
        raise PhraseListError(f"{source}: unknown categories {sorted(unknown)}")
    entries: List[Entry] = []
    for name, raws in categories.items():
        for index, raw in enumerate(raws or []):
            entries.append(_entry(Category(name), raw, f"{source}: {name}[{index}]"))
    return PhraseList(str(version), tuple(entries))


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML keeps the last of two equal keys without a word: an entry given a second `unless`
    would silently lose its first (it happened). Here a repeated key is an error."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Dict[Any, Any]:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise PhraseListError(f"line {key_node.start_mark.line + 1}: `{key}` given twice in one entry")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load(path: Path) -> PhraseList:
    with open(path, encoding="utf-8") as handle:
        try:
            document = yaml.load(handle, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
        except PhraseListError as error:
            raise PhraseListError(f"{path}: {error}") from None
    return parse(document, str(path))
