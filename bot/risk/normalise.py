"""Turn a 3 a.m. text into plain lowercase words, so phrases match however they were typed."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Dict, FrozenSet, List

# Text-speak and contractions, expanded after apostrophes are dropped ("don't" -> "dont" -> "do not").
TEXT_SPEAK = {
    "u": "you", "ur": "your", "r": "are", "ya": "you", "yr": "your",
    "im": "i am", "ive": "i have", "id": "i would",
    "cant": "can not", "cannot": "can not", "wont": "will not", "dont": "do not", "doesnt": "does not",
    "didnt": "did not", "isnt": "is not", "wasnt": "was not", "arent": "are not", "havent": "have not",
    "hasnt": "has not", "shouldnt": "should not", "wouldnt": "would not", "couldnt": "could not",
    "aint": "is not", "hes": "he is", "shes": "she is", "theyre": "they are", "its": "it is",
    "thats": "that is", "whats": "what is", "theres": "there is",
    "bby": "baby", "babby": "baby", "babi": "baby", "lo": "baby", "bubba": "baby",
    "gf": "girlfriend", "bf": "boyfriend", "oh": "partner", "dp": "partner", "dh": "partner",
    "2nite": "tonight", "tonite": "tonight", "2night": "tonight", "2day": "today",
    "n": "and", "wiv": "with", "wif": "with", "w": "with", "coz": "because", "cos": "because",
    "pls": "please", "plz": "please", "ppl": "people", "sum1": "someone", "no1": "no one",
    "evry1": "everyone", "any1": "anyone", "atm": "at the moment", "rn": "right now",
    "nt": "not", "nae": "no", "aye": "yes", "gonna": "going to", "wanna": "want to",
    "gotta": "got to", "dunno": "do not know", "wat": "what", "wot": "what", "wen": "when",
    "dnt": "do not", "cnt": "can not", "hav": "have", "av": "have", "havnt": "have not",
    "shud": "should", "cud": "could", "wud": "would", "wudnt": "would not", "b4": "before",
    "til": "until", "till": "until", "nite": "night", "summat": "something", "nowt": "nothing",
    "ma": "my", "mah": "my", "lil": "little", "bubs": "baby", "bairn": "baby", "ds": "son",
    "dd": "daughter", "hubby": "husband", "fella": "partner", "mw": "midwife",
    "hv": "health visitor", "wks": "weeks", "wk": "week", "mc": "miscarriage", "preggers": "pregnant", "preggo": "pregnant",
    "kms": "kill myself", "od": "overdose", "hell": "he will", "shell": "she will",
    "theyll": "they will", "thru": "through", "tho": "though", "youll": "you will", "hed": "he would", "theyd": "they would",
    "sis": "sister", "bro": "brother", "preg": "pregnant", "nites": "nights", "mite": "might", "rite": "right",
    "tbh": "to be honest", "itll": "it will", "urself": "yourself", "ure": "you are", "anutha": "another", "anotha": "another",
    "dr": "doctor",
    # vowels dropped, as thumbs type in a hurry
    "hlp": "help", "brth": "breath", "brthe": "breathe", "brthin": "breathing", "brthn": "breathing",
}

SLIPS_FROM = 4  # letters a word needs before a slip of the thumb is forgiven in it ("bule", "greey")


@lru_cache(maxsize=65536)
def slips(word: str) -> FrozenSet[str]:
    """`word` as fast thumbs mistype it: each pair of neighbouring letters swapped in turn, and each
    letter doubled in turn ("blue": "lbue", "bule", "bleu", "bblue", "bluue" ...); none for a word
    shorter than SLIPS_FROM, where a slip mostly makes another word ("on" ~ "no", "to" ~ "too")."""
    if len(word) < SLIPS_FROM:
        return frozenset()
    swapped = {word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(len(word) - 1)}
    doubled = {word[:i] + word[i] + word[i:] for i in range(len(word))}
    return frozenset((swapped | doubled) - {word})


def _slipped_text_speak() -> Dict[str, str]:
    """Text-speak mistyped ("catn", "wnot", "ccant"), so it still expands: the phrases are written
    out in full ("can not wake"), so a slip in "cant" would otherwise hide the whole phrase."""
    slipped: Dict[str, str] = {}
    for typed in sorted(TEXT_SPEAK):
        for slip in slips(typed):
            if slip not in TEXT_SPEAK:
                slipped.setdefault(slip, typed)
    return slipped


SLIPPED_TEXT_SPEAK = _slipped_text_speak()


@lru_cache(maxsize=1)
def dropped_text_speak() -> Dict[str, str]:
    """Contractions of SLIPS_FROM letters or more with one letter dropped ("isn", "ist", "wnt"), when
    what is left is neither a real word nor text-speak ("won", "cat" and "cnt" stay as they are):
    like a slip, a dropped letter in "isnt" would otherwise hide every phrase with "is not". Only
    text-speak for two words or more: a one-word form loses too much ("pre" is no "preg")."""
    from bot.risk.words import is_word  # imported here: words.py reads TEXT_SPEAK from this module

    dropped: Dict[str, str] = {}
    for typed in sorted(w for w, out in TEXT_SPEAK.items() if len(w) >= SLIPS_FROM and " " in out):
        for i in range(len(typed)):
            form = typed[:i] + typed[i + 1:]
            if form not in TEXT_SPEAK and form not in SLIPPED_TEXT_SPEAK and not is_word(form):
                dropped.setdefault(form, typed)
    return dropped


def _as_meant(word: str) -> str:
    """`word`, or the text-speak it is a slip or a dropped letter of."""
    return SLIPPED_TEXT_SPEAK.get(word) or dropped_text_speak().get(word, word)

_APOSTROPHES = re.compile(r"['’‘`´]")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_LONG_RUNS = re.compile(r"(.)\1{2,}")


# "ill" is both "I'll" and the adjective. After these words it describes someone ("baby is ill",
# "so ill", "feels ill"); before these, or last, "I will" cannot be meant ("ill with a cold",
# "babys ill"). Everywhere else it is "i will" ("ill hurt him", "ok ill try").
ILL_DESCRIBES_AFTER = frozenset({
    "is", "was", "are", "were", "am", "be", "been", "being", "so", "very", "really", "too", "quite",
    "bit", "proper", "seriously", "badly", "terribly", "feel", "feels", "feeling", "felt", "look",
    "looks", "looking", "seem", "seems", "get", "gets", "getting", "got", "fell", "falls", "became",
    "still", "mentally", "critically", "gravely",
})
ILL_DESCRIBES_BEFORE = frozenset({"with", "and", "again", "today", "tonight", "now", "since", "for",
                                  "all", "at", "still", "after", "but", "or", "in", "lately"})
# After a conjunction "ill" may be either: "tired and ill baby" describes, but "scared and ill hurt
# him" is a threat, and a missed threat to a baby is the worse mistake. So after a conjunction it is
# "i will" when a verb (or an adverb before one) follows: "and ill shake her", "an ill just do it".
ILL_CONJUNCTIONS = frozenset({"and", "an", "or"})
ILL_ACTS_AFTER = frozenset({
    "hurt", "harm", "shake", "kill", "hit", "smack", "slap", "punch", "throw", "smother", "drop",
    "strangle", "suffocate", "choke", "snap", "lose", "do", "end", "go", "take", "leave", "walk",
    "run", "call", "ring", "try", "make", "put", "give", "tell", "text", "get", "have", "be", "let",
    "just", "probably", "definitely", "literally", "never", "actually",
})


def _expand_ill(previous: str, following: str) -> List[str]:
    """The typed "ill", or "i will", read from the words either side of it; see the sets above."""
    if previous in ILL_CONJUNCTIONS and following in ILL_ACTS_AFTER:
        return ["i", "will"]
    if previous in ILL_DESCRIBES_AFTER or previous in ILL_CONJUNCTIONS \
            or following in ILL_DESCRIBES_BEFORE or not following:
        return ["ill"]
    return ["i", "will"]


# "od" is text-speak for an overdose ("took an od", "gonna od") and the commonest slip of "do" ("how
# od i", "od they"). No labelled text uses it for an overdose, while with two letters swapped 107 of
# 7,492 benign labelled texts were flagged for it (typing_noise, seed 1). So it is an overdose only
# after a word an overdose follows, and "do" everywhere else.
OVERDOSE_AFTER = frozenset({"a", "an", "another", "took", "take", "taken", "taking", "had", "gonna",
                            "wanna", "nearly", "almost"})


def _expand_od(previous: str) -> List[str]:
    """The typed "od", read from the word typed before it; see OVERDOSE_AFTER."""
    return ["overdose"] if previous in OVERDOSE_AFTER else ["do"]


def normalise(text: str) -> List[str]:
    """Lowercase words with punctuation gone, letter runs shortened and text-speak expanded."""
    text = _APOSTROPHES.sub("", text.lower())
    text = _LONG_RUNS.sub(r"\1\1", text)
    typed = _NOT_WORD.sub(" ", text).split()
    words: List[str] = []
    for index, word in enumerate(typed):
        if word == "ill":
            following = typed[index + 1] if index + 1 < len(typed) else ""
            words.extend(_expand_ill(words[-1] if words else "", following))
        elif word == "od":
            words.extend(_expand_od(typed[index - 1] if index else ""))
        else:
            words.extend(TEXT_SPEAK.get(_as_meant(word), word).split())
    return words
