"""SMS length rules: which encoding a text needs and how many segments it costs.

A reply longer than three segments arrives split or truncated on cheap phones, so every response
is held to `MAX_REPLY_SEGMENTS`. One character outside the GSM-7 alphabet (a curly apostrophe, a
degree sign, an emoji) switches the whole message to UCS-2 and cuts the budget from 459 to 201.
"""
from __future__ import annotations

from dataclasses import dataclass

MAX_REPLY_SEGMENTS = 3

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# These need an escape septet, so each costs two.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

# (characters in a single message, characters per part of a multi-part message)
_LIMITS = {"GSM-7": (160, 153), "UCS-2": (70, 67)}


@dataclass(frozen=True)
class SmsLength:
    encoding: str
    units: int
    segments: int


def is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def measure(text: str) -> SmsLength:
    """Encoding, length in that encoding's units, and segment count of `text`."""
    if is_gsm7(text):
        encoding = "GSM-7"
        units = sum(2 if c in GSM7_EXTENSION else 1 for c in text)
    else:
        encoding = "UCS-2"
        units = len(text.encode("utf-16-le")) // 2
    single, per_part = _LIMITS[encoding]
    segments = 1 if units <= single else -(-units // per_part)
    return SmsLength(encoding, units, segments)


def max_length(encoding: str, segments: int = MAX_REPLY_SEGMENTS) -> int:
    """The most units `segments` segments can carry, e.g. 459 for GSM-7 in three."""
    single, per_part = _LIMITS[encoding]
    return single if segments == 1 else per_part * segments
