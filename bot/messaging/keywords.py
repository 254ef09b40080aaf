"""Carrier keywords (STOP, START, HELP) and the fixed replies to them and to what we cannot read.

These are decided before the text reaches Rasa: a keyword is an instruction to the service, never
something the bot interprets. A keyword is the whole message, in any case, with surrounding
spaces or a full stop ignored, as carriers and Twilio match them; "stop sharing" is not a keyword
and still reaches the bot (it withdraws consent for a case).
"""
from __future__ import annotations

import enum
from typing import Optional

OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"})
# "YES" is not here, although Twilio treats it as a resubscribe: it answers our consent question.
OPT_IN_WORDS = frozenset({"START", "UNSTOP"})
HELP_WORDS = frozenset({"HELP"})


class Keyword(str, enum.Enum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"


def keyword_of(body: str) -> Optional[Keyword]:
    word = body.strip().rstrip(".!").strip().upper()
    if word in OPT_OUT_WORDS:
        return Keyword.OPT_OUT
    if word in OPT_IN_WORDS:
        return Keyword.OPT_IN
    if word in HELP_WORDS:
        return Keyword.HELP
    return None


# One line, and the last message this number gets until the parent sends START.
OPT_OUT_CONFIRMATION = (
    "You will get no more messages from Safer Sleep & Pregnancy Support. Text START to restart. "
    "In an emergency call 999."
)
OPT_IN_CONFIRMATION = (
    "Welcome back to Safer Sleep & Pregnancy Support. Ask me about safer sleep or pregnancy. "
    "Text HELP for help or STOP to stop."
)
# At most 3 SMS segments in GSM-7 (tests/unit/test_twilio_keywords.py checks); helplines from
# ../shared/reference/content-sources.md.
HELP_TEXT = (
    "Safer Sleep & Pregnancy Support gives information on safer baby sleep and pregnancy. "
    "It is not a diagnosis and is not watched 24/7. "
    "Emergency: call 999. Urgent advice: NHS 111. "
    "Samaritans 116 123. Domestic abuse 0808 2000 247. Lullaby Trust 0808 802 6869. "
    "Text STOP to stop, START to restart."
)
MEDIA_ONLY_REPLY = (
    "Sorry, I can only read text, not photos, voice notes or files. Please type your question. "
    "In an emergency call 999."
)
MEDIA_BESIDE_TEXT_NOTE = "I could only read your words, not the photo or file you sent."
LOCATION_REPLY = (
    "Thanks. I cannot use a shared location and have not kept it. Please type your question. "
    "If you need help now, call 999, or 111 for urgent advice."
)
EMPTY_REPLY = "Sorry, your message was empty. Please type your question."
FAILURE_REPLY = (
    "Sorry, something went wrong and I could not answer that. Please try again later. "
    "In an emergency call 999, or 111 for urgent advice."
)
