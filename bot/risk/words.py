"""Which typed words are real English words, so that a slip is read back only in a word that is not one.

A dropped letter or a lost space turns a risk word into a non-word ("bue", "lmp", "hesblue"), but
the same repairs would also turn real words into risk words: "lip" into "limp", "bedroom" into "bed
room", "bluetooth" into "blue tooth". A word the parent typed that is a real word is what they
meant, so the matcher restores a letter or a space only in a word that is in none of these lists,
or in a seldom written word far rarer than the one the repair gives (`taken_as_typed`): "blu" is
listed, yet a parent who types it means "blue".

The list is pyspellchecker's English word-frequency list (a pure-Python dependency, MIT, ~160,000
words), every word of it whatever its frequency: a rare real word left uncorrected costs a slip not
forgiven, a real word missing from the list could raise a false alarm. That list is American
("colour", "programme", "centre" are missing), so data/risk/british_words.txt adds the 5,450 words
of Debian's British list that it lacks (the file says how it was made). Words are taken as a
message is normalised, without apostrophes ("he's" is "hes"); the text-speak the normaliser knows
counts as words too ("wont", "cant", "bby"). Of the single letters only "a" and "i" are words: the
list has every letter, as abbreviations. For the same reason two kinds of entry are left out: the
British list's words of up to 3 letters, which are abbreviations written in capitals ("OT", "HR",
"LP"), and pyspellchecker's plurals of letters and two-letter abbreviations ("h's", "gp's"), which
without their apostrophe look like a dropped letter ("ot" for "not", "hs" for "his").
`CARE_WORDS` adds the words of UK care that neither list has and parents use: read apart, "my
keyworker" became "my key worker", near "takes my keys".
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Dict, FrozenSet, Iterable

from spellchecker import SpellChecker

from bot.config import PROJECT_ROOT
from bot.risk.normalise import TEXT_SPEAK

SINGLE_LETTER_WORDS = frozenset({"a", "i"})
CARE_WORDS = frozenset({"keyworker", "keyworkers", "careworker", "careworkers"})
BRITISH_WORDS = PROJECT_ROOT / "data" / "risk" / "british_words.txt"
ABBREVIATIONS_UP_TO = 3  # letters: the British list's words this short are abbreviations ("ot", "hr")
_ABBREVIATION_PLURAL = re.compile(r"[a-z]{1,2}'s")  # "h's", "gp's"
# A listed word written fewer than COMMON times in pyspellchecker's counts, and at least RARER_BY
# times rarer than the phrase word a repair gives, is read as that word: "blu" (173) is "blue"
# (124,161), "chocking" (64) is "choking" (7,958). Not "imp" (402), only 11 times rarer than "limp",
# nor "rink" (1,407) for "drink", nor "hi" or "wee": a word written that often is what was meant.
COMMON = 1000
RARER_BY = 100


@lru_cache(maxsize=1)
def _counts() -> Dict[str, int]:
    """pyspellchecker's word counts, apostrophes dropped, its letter plurals left out (see above)."""
    listed = SpellChecker(language="en", distance=1).word_frequency.dictionary
    counts: Dict[str, int] = {}
    for word, count in listed.items():
        if len(word) > 1 and not _ABBREVIATION_PLURAL.fullmatch(word):
            typed = word.replace("'", "")
            counts[typed] = max(count, counts.get(typed, 0))
    return counts


def _british_words() -> Iterable[str]:
    lines = BRITISH_WORDS.read_text(encoding="utf-8").split("\n")
    return (w for w in lines if len(w) > ABBREVIATIONS_UP_TO and not w.startswith("#"))


@lru_cache(maxsize=1)
def real_words() -> FrozenSet[str]:
    """Loaded once per process (about 0.2 s), with the phrase list's index (`matcher.index_of`)."""
    text_speak = {w for w in TEXT_SPEAK if len(w) > 1}
    return frozenset(set(_counts()) | text_speak | set(_british_words()) | SINGLE_LETTER_WORDS | CARE_WORDS)


def is_word(word: str) -> bool:
    return word in real_words()


def is_common(word: str) -> bool:
    """A real word written at least COMMON times; a word with no count (British, text-speak, care
    words) counts as common: it is on its list because parents write it."""
    return is_word(word) and _counts().get(word, COMMON) >= COMMON


def taken_as_typed(word: str, repaired: str) -> bool:
    """Whether `word` is what the parent meant rather than a slip for `repaired`: a common word, or
    a rarer real word not RARER_BY times rarer than `repaired` (any real word when `repaired` has
    no count: there is nothing to weigh it against)."""
    if is_common(word):
        return True
    counts = _counts()
    return is_word(word) and counts[word] * RARER_BY >= counts.get(repaired, 0)
