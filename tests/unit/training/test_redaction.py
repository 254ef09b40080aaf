"""Redaction removes every identifier before a message reaches the trainers' inbox, and keeps
the wording trainers need (numbers of cans, weeks, times, text-speak)."""
from __future__ import annotations

import pytest

from bot.training.redaction import redact

IDENTIFIERS = [
    # phone numbers, UK and international, spaced, dashed, bracketed
    ("call me on 07700 900123 pls", "call me on [phone] pls"),
    ("my number is 07700900123", "my number is [phone]"),
    ("ring +44 7700 900 123 after 6", "ring [phone] after 6"),
    ("landline (020) 7946 0018", "landline [phone]"),
    ("0044-7700-900-123", "[phone]"),
    ("0161 496 0000.", "[phone]."),
    # emails
    ("email me sam.jones+baby@example.co.uk thanks", "email me [email] thanks"),
    ("SAM_J@EXAMPLE.COM", "[email]"),
    # postcodes, with and without the space, any case
    ("we live at SW1A 1AA", "we live at [postcode]"),
    ("postcode m1 1ae", "postcode [postcode]"),
    ("near B338TH now", "near [postcode] now"),
    ("EC1A1BB", "[postcode]"),
    # names after cues
    ("my name is sarah and baby wont settle", "my name is [name] and baby wont settle"),
    ("Hi, I'm Priya, baby is 3 weeks", "Hi, I'm [name], baby is 3 weeks"),
    ("this is Jo from flat 2", "this is [name] from flat 2"),
    ("my partner Dave smokes in the house", "my partner [name] smokes in the house"),
    ("baby Oliver Smith is 6 weeks", "baby [name] is 6 weeks"),
    ("my midwife Karen said its fine", "my midwife [name] said its fine"),
    ("is it ok to cosleep\nthanks, Amy", "is it ok to cosleep\nthanks, [name]"),
    ("baby keeps waking - Laura x", "baby keeps waking - [name] x"),
    ("Jess here, baby wont feed", "[name] here, baby wont feed"),
]

KEPT = [
    "had 4 cans tonight n baby is in bed with me",
    "im 37 weeks pregnant",
    "baby sleeps from 7pm to 6am",
    "b4 2am she was fine",
    "room is 16 to 20C",
    "I'm tired and baby wont sleep",
    "my partner smokes",
    "born on 12/03/2026 at 3.2kg",
    "I'm Worried about sids",
    "Baby here is 2 weeks old",
]


@pytest.mark.parametrize("text, expected", IDENTIFIERS)
def test_redaction_removes_identifiers(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize("text", KEPT)
def test_redaction_keeps_wording_that_identifies_nobody(text):
    assert redact(text) == text


def test_a_message_with_every_kind_of_identifier_keeps_none_of_them():
    text = "Hi I'm Grace Hall, 07700 900123, grace@example.com, LS1 4AP. my son Leo has a cold"
    redacted = redact(text)
    for identifier in ("Grace", "Hall", "07700", "900123", "grace@", "LS1", "4AP", "Leo"):
        assert identifier not in redacted, (identifier, redacted)
    assert redacted.endswith("has a cold")
