"""Who a phone number is in our records: its Twilio addresses and pseudonymous sender ids."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import FrozenSet

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.db.messaging import Contact
from bot.messaging.pseudonym import WHATSAPP_PREFIX, sender_id_for

E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")


@dataclass(frozen=True)
class Subject:
    """A person as our tables know them: the number as Twilio writes it for SMS and WhatsApp, and
    the sender ids Rasa and the application tables use."""

    phone: str
    addresses: FrozenSet[str]
    sender_ids: FrozenSet[str]


def normalise_phone(raw: str) -> str:
    """The number in E.164 (+447700900123); spaces are ignored. ValueError otherwise."""
    phone = raw.strip().replace(" ", "")
    if not E164.match(phone):
        raise ValueError(f"not a phone number in international form (+447700900123): {raw!r}")
    return phone


def find_subject(session: Session, raw_phone: str, secret: bytes) -> Subject:
    """The subject behind a phone number. The sender ids are derived with the pseudonym key and
    also read from `contacts`, so a contact made under an earlier key is found too."""
    phone = normalise_phone(raw_phone)
    addresses = frozenset({phone, WHATSAPP_PREFIX + phone})
    derived = {sender_id_for(address, secret) for address in addresses}
    stored = session.execute(sa.select(Contact.sender_id).where(Contact.address.in_(addresses))).scalars()
    return Subject(phone, addresses, frozenset(derived | set(stored)))
