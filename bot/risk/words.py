"""Which typed words are real English words, so that a slip is read back only in a word that is not one.

A dropped letter or a lost space turns a risk word into a non-word ("bue", "lmp", "hesblue"), but
the same repairs would also turn real words into risk words: "lip" into "limp", "bedroom" into "bed
room", "bluetooth" into "blue tooth". A word the parent typed that is a real word is what they
meant, so the matcher restores a letter or a space only in a word that is in none of these lists.

The list is pyspellchecker's English word-frequency list (a pure-Python dependency, MIT, ~160,000
words), every word of it whatever its frequency: a rare real word left uncorrected costs a slip not
forgiven, a real word missing from the list could raise a false alarm. That list is American
("colour", "programme", "centre" are missing), so data/risk/british_words.txt adds the 5,450 words
of Debian's British list that it lacks (the file says how it was made). Words are taken as a
message is normalised, without apostrophes ("he's" is "hes"); the text-speak the normaliser knows
counts as words too ("wont", "cant", "bby"). Of the single letters only "a" and "i" are words: the
list has every letter, as abbreviations. `CARE_WORDS` adds the words of UK care that neither list
has and parents use: read apart, "my keyworker" became "my key worker", near "takes my keys".
"""
from __future__ import annotations

from functools import lru_cache
from typing import FrozenSet

from spellchecker import SpellChecker

from bot.config import PROJECT_ROOT
from bot.risk.normalise import TEXT_SPEAK

SINGLE_LETTER_WORDS = frozenset({"a", "i"})
CARE_WORDS = frozenset({"keyworker", "keyworkers", "careworker", "careworkers"})
BRITISH_WORDS = PROJECT_ROOT / "data" / "risk" / "british_words.txt"


@lru_cache(maxsize=1)
def real_words() -> FrozenSet[str]:
    """Loaded once per process (about 0.2 s), with the phrase list's index (`matcher.index_of`)."""
    listed = SpellChecker(language="en", distance=1).word_frequency.dictionary
    british = BRITISH_WORDS.read_text(encoding="utf-8").split("\n")
    words = {w.replace("'", "") for w in listed if len(w) > 1} | {w for w in TEXT_SPEAK if len(w) > 1}
    return frozenset(words | {w for w in british if w and not w.startswith("#")} | SINGLE_LETTER_WORDS | CARE_WORDS)


def is_word(word: str) -> bool:
    return word in real_words()
