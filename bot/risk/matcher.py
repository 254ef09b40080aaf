"""Find the trainers' risk phrases in a parent's message, tolerating typos, and read the context.

A phrase matches when its words appear in order, each within a small edit distance (typos), with at
most `MAX_GAP` other words between them ("not really breathing"). Words just before a match decide
whether it is asserted: "I never drink" (negated) and "what if he stops breathing" (hypothetical)
are not risks. An emergency is never silenced by a negation, because its phrases carry their own
("is not breathing"); a hypothetical silences it only with an explicit cue and no sign of urgency.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, List, Optional, Sequence, Tuple

from bot.risk.categories import PRECEDENCE, Category
from bot.risk.normalise import normalise
from bot.risk.phrases import Entry, Phrase, PhraseList

MAX_GAP = 2
CONTEXT_WINDOW = 2  # words just before a match that can negate it ("would never", "do not")

COORDINATORS = frozenset({"or", "and", "nor"})
NEGATIONS = frozenset({"never", "not", "no", "nobody", "without", "stopped", "quit"})
# Hypothetical and general-question cues, as word sequences.
HYPOTHETICAL_CUES = (
    ("if",), ("in", "case"), ("what", "happens"), ("signs", "of"), ("is", "it"),
    ("what", "is", "the"), ("how", "risky"),
    ("how", "dangerous"), ("can", "i"), ("should", "i"), ("could", "i"),
    ("how", "do", "i", "know"), ("how", "would", "i", "know"), ("risk", "of"), ("chance", "of"),
    ("ever",), ("years", "ago"), ("my", "friend"), ("friends",), ("my", "mum"), ("my", "sister"),
    ("my", "cousin"), ("heard",), ("on", "the", "news"), ("when", "i", "was"),
)
# Only these make an emergency hypothetical: someone asking what to do "if he ever" stops breathing.
EMERGENCY_HYPOTHETICAL_CUES = (
    ("what", "if"), ("what", "should", "i", "do", "if"), ("what", "do", "i", "do", "if"),
    ("in", "case"), ("ever",), ("signs", "of"), ("how", "do", "i", "know", "if"),
    ("how", "would", "i", "know"), ("what", "to", "do", "if"), ("years", "ago"),
)
URGENCY = frozenset({"now", "tonight", "help", "currently", "already", "asap", "quick", "moment",
                     "911", "999", "ambulance", "hurry", "urgent"})


@dataclass(frozen=True)
class PhraseMatch:
    category: Category
    label: str
    start: int
    negated: bool
    hypothetical: bool

    @property
    def asserted(self) -> bool:
        return not self.negated and not self.hypothetical


@lru_cache(maxsize=65536)
def words_match(word: str, target: str) -> bool:
    """Equal, or within 1 edit (5-7 letters) or 2 edits (8+ letters), as typed or after taking
    off an ending ("stoping" ~ "stopped" ~ "stop"). Words of 4 letters or fewer must be exact:
    one edit turns "dead" into "read" and "slap" into "slip"."""
    if word == target:
        return True
    return _close(word, target) or _close(stem(word), stem(target))


def _close(word: str, target: str) -> bool:
    if word == target:
        return True
    allowed = 0 if len(target) <= 4 else 1 if len(target) <= 7 else 2
    if allowed == 0 or abs(len(word) - len(target)) > allowed:
        return False
    return _edit_distance(word, target, allowed) <= allowed


def stem(word: str) -> str:
    """A crude English stem: enough that tense and plural don't hide a phrase."""
    for ending in ("ing", "ed", "es", "s"):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            word = word[: -len(ending)]
            if word[-1] == word[-2] and word[-1] not in "ls":
                word = word[:-1]
            return word
    return word


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein (adjacent swaps count once), giving up once past `limit`."""
    previous2: List[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def find_phrase(words: Sequence[str], phrase: Phrase) -> Optional[int]:
    """Start index of the first in-order, gap-tolerant occurrence of `phrase`, or None."""
    for start, word in enumerate(words):
        if not words_match(word, phrase[0]):
            continue
        position, found = start, True
        for target in phrase[1:]:
            window = words[position + 1: position + 2 + MAX_GAP]
            step = next((k for k, w in enumerate(window) if words_match(w, target)), None)
            if step is None:
                found = False
                break
            position += 1 + step
        if found:
            return start
    return None


def _cue_before(words: Sequence[str], index: int, cues: Iterable[Tuple[str, ...]]) -> bool:
    """Whether any cue occurs in the same sentence before `index` (sentences are not kept, so the
    whole text before it counts; parents rarely punctuate anyway)."""
    before = tuple(words[:index])
    return any(
        before[i:i + len(cue)] == cue for cue in cues for i in range(len(before) - len(cue) + 1)
    )


def _negated(words: Sequence[str], start: int) -> bool:
    """A negation among the few words before `start`, reading through "or"/"and" so that
    "never drink or smoke" negates both."""
    before = [w for w in words[:start] if w not in COORDINATORS]
    return any(w in NEGATIONS for w in before[-CONTEXT_WINDOW:])


def _match_entry(words: Sequence[str], entry: Entry, urgent: bool) -> Optional[PhraseMatch]:
    starts = []
    for group in entry.groups:
        found = [s for s in (find_phrase(words, p) for p in group) if s is not None]
        if not found:
            return None
        starts.append(min(found))
    first = min(starts)
    if entry.category is Category.EMERGENCY:
        negated = False
        hypothetical = not urgent and _cue_before(words, first, EMERGENCY_HYPOTHETICAL_CUES)
    else:
        negated = any(_negated(words, s) and not _phrase_is_negative(words, s) for s in starts)
        hypothetical = not urgent and _cue_before(words, first, HYPOTHETICAL_CUES)
    return PhraseMatch(entry.category, entry.label, first, negated, hypothetical)


def _phrase_is_negative(words: Sequence[str], start: int) -> bool:
    """A match that starts with a negation ("not told anyone") carries it; it is not negated."""
    return words[start] in NEGATIONS


@dataclass(frozen=True)
class Context:
    """What the whole message says about itself, for the model layer, which cannot read it."""

    negated: bool
    hypothetical: bool
    emergency_hypothetical: bool


def is_urgent(words: Sequence[str]) -> bool:
    return any(w in URGENCY for w in words)


def read_context(words: Sequence[str], urgent: bool) -> Context:
    end = len(words)
    return Context(
        negated=any(w in NEGATIONS for w in words),
        hypothetical=not urgent and _cue_before(words, end, HYPOTHETICAL_CUES),
        emergency_hypothetical=not urgent and _cue_before(words, end, EMERGENCY_HYPOTHETICAL_CUES),
    )


def best_match(text: str, phrases: PhraseList) -> Tuple[Optional[PhraseMatch], Context]:
    """The asserted match that matters most (if any), and the message's context."""
    words = normalise(text)
    urgent = is_urgent(words)  # once per message, not once per entry
    matches = (_match_entry(words, e, urgent) for e in phrases.entries)
    asserted = [m for m in matches if m and m.asserted]
    match = min(asserted, key=lambda m: (PRECEDENCE.index(m.category), m.start), default=None)
    return match, read_context(words, urgent)
