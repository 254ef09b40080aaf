"""Remove identifiers from a parent's message before a trainer can see it.

Trainers label wording, not people, so a message reaches the inbox only through `redact`:
phone numbers, email addresses and UK postcodes are replaced by shape, and names by where they
stand (after "my name is", "I'm", "this is", a relation such as "my partner" or "baby", a
greeting, before "here", or a sign-off at the end). A name with none of these cues is not found
(pattern matching, not a list of names); the inbox keeps no sender id, so what is left
cannot be tied back to a parent through us.
"""
from __future__ import annotations

import re

PHONE = "[phone]"
EMAIL = "[email]"
POSTCODE = "[postcode]"
NAME = "[name]"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A run of digits, spaces, dashes, dots and brackets, optionally starting with + or (,
# counted as a phone number when it holds 9 to 15 digits (UK numbers have 10 or 11, +44 adds 2).
_PHONE_CANDIDATE = re.compile(r"(?<![\w])[+(]?\d[\d\s().-]{6,}\d(?![\w])")
# Inward codes never use C, I, K, M, O or V, which keeps "b4 2am" (text-speak) out.
_POSTCODE = re.compile(r"\b(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})\b",
                       re.IGNORECASE)
# Capitalised words the name cues below must never take for names.
_NOT_NAMES = frozenset("""I Im Baby Mum Dad Midwife Doctor GP NHS Not Just So Very Really Worried
Scared Tired Sorry Okay Ok Yes No Thanks Thank Please Help Hi Hello Hey Pregnant Going Having
Feeling Here There The A An And But It Is My We You Monday Tuesday Wednesday Thursday Friday
Saturday Sunday Today Tonight Tomorrow Morning Night I'm I've I'll I'd""".split())
# Words that follow "call me" and the like without being a name ("call me on 07700...").
_NOT_NAMED = frozenset("on at back when after before if about later now asap please pls in tomorrow "
                       "today tonight soon and so".split())
_SKIP_NOT_NAMES = "(?!(?:" + "|".join(re.escape(w) for w in sorted(_NOT_NAMES, key=len, reverse=True)) + r")\b)"
_SKIP_NOT_NAMED = "(?!(?i:" + "|".join(sorted(_NOT_NAMED, key=len, reverse=True)) + r")\b)"

_WORD = r"[A-Za-z][a-z'-]+"
_NAME_WORD = r"[A-Z][a-z'-]+"
# Cues after which the next word is a name, whatever its case.
_NAMED = re.compile(rf"(?i:\b(?:my name is|my name's|name is|call me|i am called|i'm called)\s+)"
                    rf"{_SKIP_NOT_NAMED}({_WORD})")
# Cues after which a capitalised word is a name ("I'm Tired" is rare enough; "I'm tired" is kept).
_CAPITALISED_AFTER = re.compile(
    rf"(?i:\b(?:i'm|i am|im|this is|it's|its|hi|hello|hey|dear|thanks|thank you|cheers|love|from|"
    rf"my (?:partner|husband|wife|boyfriend|girlfriend|fiance|fiancee|son|daughter|baby|mum|mom|"
    rf"dad|sister|brother|ex|midwife|health visitor|hv|gp|friend|mother|father)|baby|babys|baby's)"
    rf"\s*,?\s+){_SKIP_NOT_NAMES}({_NAME_WORD}(?:\s+{_SKIP_NOT_NAMES}{_NAME_WORD})?)")
# "Jess here, ..." introduces the sender.
_HERE = re.compile(rf"\b{_SKIP_NOT_NAMES}({_NAME_WORD}) here\b")
# A sign-off: a capitalised word (or two) alone at the very end, after a line break, comma or dash.
_SIGN_OFF = re.compile(rf"(?:[\n,]|\s-+)\s*x*\s*{_SKIP_NOT_NAMES}({_NAME_WORD}(?:\s+{_NAME_WORD})?)\s*x*\s*[.!]?\s*$")


def _phone(match: re.Match) -> str:
    digits = sum(c.isdigit() for c in match.group())
    return PHONE if 9 <= digits <= 15 else match.group()


def _name(match: re.Match) -> str:
    start, end = match.span(1)
    offset = match.start()
    whole = match.group()
    return whole[:start - offset] + NAME + whole[end - offset:]


def redact(text: str) -> str:
    """The message with phone numbers, emails, postcodes and names replaced by placeholders."""
    text = _EMAIL.sub(EMAIL, text)
    text = _PHONE_CANDIDATE.sub(_phone, text)
    text = _POSTCODE.sub(POSTCODE, text)
    text = _NAMED.sub(_name, text)
    text = _CAPITALISED_AFTER.sub(_name, text)
    text = _HERE.sub(_name, text)
    return _SIGN_OFF.sub(_name, text)
