"""Fitting a reply to the channel: SMS parts on sentence boundaries, WhatsApp formatting.

One SMS part is at most `MAX_REPLY_SEGMENTS` segments (459 GSM-7 or 201 UCS-2 characters), the
same limit the content checks hold every response to, so a long staff reply arrives as a few
whole messages rather than one that cheap phones cut or scramble. Each part is measured on its own:
a part without an emoji keeps the larger GSM-7 budget.
"""
from __future__ import annotations

import re
from typing import Callable, List, Tuple

from bot.channels.sms import MAX_REPLY_SEGMENTS, measure
from bot.db.messaging import Channel

# Twilio refuses a Body longer than this on any channel (error 21617).
TWILIO_MAX_BODY = 1600
_PARAGRAPH = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def fits_sms(text: str) -> bool:
    return measure(text).segments <= MAX_REPLY_SEGMENTS and len(text) <= TWILIO_MAX_BODY


def fits_whatsapp(text: str) -> bool:
    return len(text) <= TWILIO_MAX_BODY


def split_for(channel: Channel, text: str) -> List[str]:
    """The messages `text` becomes on `channel`, in order, none empty."""
    text = text.strip()
    if channel == Channel.WHATSAPP:
        return split(format_whatsapp(text), fits_whatsapp)
    return split(text, fits_sms)


def split(text: str, fits: Callable[[str], bool]) -> List[str]:
    """Pack whole paragraphs, else whole sentences, into parts that `fits`; a sentence too long
    alone is split at words. Paragraph breaks are kept inside a part."""
    if fits(text):
        return [text] if text else []
    parts: List[str] = []
    current = ""
    for separator, piece in _pieces(text, fits):
        candidate = f"{current}{separator}{piece}" if current else piece
        if fits(candidate):
            current = candidate
        else:
            parts.append(current)
            current = piece
    if current:
        parts.append(current)
    return parts


def _pieces(text: str, fits: Callable[[str], bool]) -> List[Tuple[str, str]]:
    """(separator before it, piece): paragraphs that fit, else their sentences, else words or characters."""
    pieces: List[Tuple[str, str]] = []
    for paragraph in filter(None, (p.strip() for p in _PARAGRAPH.split(text))):
        if fits(paragraph):
            pieces.append(("\n\n", paragraph))
            continue
        for number, sentence in enumerate(filter(None, (s.strip() for s in _SENTENCE_END.split(paragraph)))):
            separator = "\n\n" if number == 0 else " "
            if fits(sentence):
                pieces.append((separator, sentence))
                continue
            for index, word in enumerate(sentence.split()):
                chunks = [word] if fits(word) else _hard_split(word, fits)
                pieces.append((separator if index == 0 else " ", chunks[0]))
                pieces.extend(("", chunk) for chunk in chunks[1:])
    return pieces


def _hard_split(word: str, fits: Callable[[str], bool]) -> List[str]:
    chunks, current = [], ""
    for char in word:
        if fits(current + char):
            current += char
        else:
            chunks.append(current)
            current = char
    return chunks + [current]


def format_whatsapp(text: str) -> str:
    """WhatsApp shows *bold* and _italic_: make "Call 999 now" stand out and set the source apart."""
    text = re.sub(r"^(Call 999 now)\b", r"*\1*", text)
    return re.sub(r"(?m)^(Source: [^\n*_]+?)\s*$", r"_\1_", text)
