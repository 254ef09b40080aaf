"""A case's conversation as a health visitor reads it: both sides, in time order.

The parent's messages and the bot's answers live in Rasa's SQL tracker store (the `events` table on
TRACKER_STORE_URL), messages received while the bot was paused among them; what staff sent lives in
`case_replies`. This module reads the tracker store directly, read-only, rather than through Rasa's
HTTP API, so a case stays readable while the Rasa server restarts.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Iterable, List, Optional

import sqlalchemy as sa

from bot.dashboard.accounts import as_utc
from bot.db.session import engine_for

EVENTS = sa.table("events", sa.column("id"), sa.column("sender_id"), sa.column("type_name"),
                  sa.column("timestamp"), sa.column("data"))


@dataclass(frozen=True)
class Entry:
    at: dt.datetime
    # "parent", "bot" or "staff"
    side: str
    text: str
    # A parent's message that arrived while the case was open: the bot only kept it.
    while_paused: bool = False
    author: Optional[str] = None


def tracker_entries(tracker_store_url: str, sender_id: str) -> List[Entry]:
    """Every user and bot message of this conversation, oldest first."""
    query = (sa.select(EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.data)
             .where(EVENTS.c.sender_id == sender_id, EVENTS.c.type_name.in_(("user", "bot")))
             .order_by(EVENTS.c.id))
    with engine_for(tracker_store_url).connect() as connection:
        if not sa.inspect(connection).has_table("events"):
            return []  # Rasa creates the table when it first starts on this database
        rows = connection.execute(query).all()
    entries = []
    for type_name, timestamp, data in rows:
        text = (json.loads(data or "{}").get("text") or "").strip()
        if text:
            entries.append(Entry(dt.datetime.fromtimestamp(timestamp, dt.timezone.utc),
                                 "parent" if type_name == "user" else "bot", text))
    return entries


def merge(conversation: Iterable[Entry], staff_messages: Iterable[Entry], paused_from: dt.datetime,
          paused_until: Optional[dt.datetime], shared_until: Optional[dt.datetime]) -> List[Entry]:
    """Interleave by time, mark what arrived while the bot was paused, and leave out what the
    parent said after withdrawing consent (they stopped sharing it)."""
    entries = []
    for entry in sorted([*conversation, *staff_messages], key=lambda e: e.at):
        if shared_until and entry.at > shared_until:
            continue
        paused = (entry.side == "parent" and entry.at > as_utc(paused_from)
                  and (paused_until is None or entry.at <= paused_until))
        entries.append(Entry(entry.at, entry.side, entry.text, paused, entry.author))
    return entries
