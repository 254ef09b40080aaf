"""Carrier keywords and the fixed replies: what counts as STOP/START/HELP, and that replies fit an SMS."""
from __future__ import annotations

import pytest

from bot.channels.sms import MAX_REPLY_SEGMENTS, measure
from bot.db.messaging import Channel
from bot.messaging import keywords
from bot.messaging.keywords import Keyword, keyword_of
from bot.messaging.text import split_for


@pytest.mark.parametrize("body", ["STOP", "stop", " Stop ", "STOPALL", "unsubscribe", "Cancel", "END",
                                  "quit", "OptOut", "REVOKE", "stop."])
def test_every_opt_out_keyword_in_any_case_is_an_opt_out(body):
    assert keyword_of(body) == Keyword.OPT_OUT


@pytest.mark.parametrize("body,expected", [("START", Keyword.OPT_IN), ("start", Keyword.OPT_IN),
                                           ("unstop", Keyword.OPT_IN), ("Help", Keyword.HELP)])
def test_start_and_help_are_keywords(body, expected):
    assert keyword_of(body) == expected


@pytest.mark.parametrize("body", ["stop sharing", "please stop", "yes", "help hes not breathing",
                                  "how do i stop baby rolling", "", "/stop"])
def test_messages_that_only_contain_a_keyword_word_reach_the_bot(body):
    assert keyword_of(body) is None


@pytest.mark.parametrize("name", ["OPT_OUT_CONFIRMATION", "OPT_IN_CONFIRMATION", "HELP_TEXT",
                                  "MEDIA_ONLY_REPLY", "MEDIA_BESIDE_TEXT_NOTE", "LOCATION_REPLY",
                                  "EMPTY_REPLY", "FAILURE_REPLY"])
def test_every_fixed_reply_is_one_sms_of_at_most_three_segments(name):
    text = getattr(keywords, name)
    assert measure(text).segments <= MAX_REPLY_SEGMENTS
    assert split_for(Channel.SMS, text) == [text]


def test_the_opt_out_confirmation_is_one_line():
    assert "\n" not in keywords.OPT_OUT_CONFIRMATION


def test_help_names_the_service_999_111_and_helplines():
    text = keywords.HELP_TEXT
    for needle in ("Safer Sleep & Pregnancy Support", "999", "111", "116 123", "0808 2000 247",
                   "0808 802 6869", "not watched 24/7"):
        assert needle in text
    assert measure(text).encoding == "GSM-7"


def test_a_long_sms_is_split_on_sentences_within_the_ucs2_limit_when_it_has_an_emoji():
    text = " ".join(f"Sentence {n} has a baby emoji 👶 in it." for n in range(12))
    parts = split_for(Channel.SMS, text)
    assert len(parts) > 1 and " ".join(parts) == text
    assert all(measure(p).encoding == "UCS-2" and measure(p).segments <= 3 for p in parts)
    assert all(p.endswith(".") for p in parts)


def test_a_gsm7_part_keeps_the_larger_budget():
    text = " ".join(f"Plain sentence number {n} about sleep." for n in range(30))
    parts = split_for(Channel.SMS, text)
    assert all(measure(p).encoding == "GSM-7" and measure(p).segments <= 3 for p in parts)
    assert max(len(p) for p in parts) > 201  # more than a UCS-2 part could hold


def test_a_word_longer_than_a_part_is_still_delivered_whole():
    word = "x" * 1000
    assert "".join(split_for(Channel.SMS, word)) == word


def test_whatsapp_messages_use_bold_and_italic_and_only_split_past_1600_characters():
    [message] = split_for(Channel.WHATSAPP, "Call 999 now. Lay baby on their back.\nSource: NHS")
    assert message == "*Call 999 now*. Lay baby on their back.\n_Source: NHS_"
    long_text = "A sentence about sleep. " * 100
    assert [len(p) <= 1600 for p in split_for(Channel.WHATSAPP, long_text)] == [True, True]
