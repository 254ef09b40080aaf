"""Rasa's conversation events (the `events` table of the SQL tracker store on TRACKER_STORE_URL):
find, export and delete them by sender id.

Deleted whole conversations at a time, never single events, so a tracker Rasa reads back is
never missing the middle of a conversation.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any, Collection, Dict, List, Optional

import sqlalchemy as sa

from bot.dashboard.conversation import EVENTS
from bot.db.session import engine_for

# Bound parameters per IN (...) list; SQLite's default limit is far above this.
CHUNK = 500


def _has_events(connection: sa.engine.Connection) -> bool:
    """Rasa creates the table the first time it starts on this database."""
    return sa.inspect(connection).has_table("events")


def idle_since(tracker_store_url: str, cutoff: dt.datetime) -> Dict[str, int]:
    """Conversations whose newest event is older than `cutoff`: sender id -> number of events."""
    query = (sa.select(EVENTS.c.sender_id, sa.func.count())
             .group_by(EVENTS.c.sender_id)
             .having(sa.func.max(EVENTS.c.timestamp) < cutoff.timestamp()))
    with engine_for(tracker_store_url).connect() as connection:
        if not _has_events(connection):
            return {}
        return {sender_id: count for sender_id, count in connection.execute(query)}


def delete(tracker_store_url: str, sender_ids: Collection[str], idle_before: Optional[dt.datetime] = None) -> int:
    """Delete every event of these conversations; the number of events deleted.

    With `idle_before`, a conversation that gained an event at or after it since it was chosen
    is left alone (the parent wrote again while retention ran).
    """
    deleted = 0
    ids = sorted(sender_ids)
    with engine_for(tracker_store_url).begin() as connection:
        if not _has_events(connection):
            return 0
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            statement = sa.delete(EVENTS).where(EVENTS.c.sender_id.in_(chunk))
            if idle_before is not None:
                recent = sa.select(EVENTS.c.sender_id).where(
                    EVENTS.c.sender_id.in_(chunk), EVENTS.c.timestamp >= idle_before.timestamp())
                statement = statement.where(EVENTS.c.sender_id.notin_(recent))
            deleted += connection.execute(statement).rowcount
    return deleted


def export(tracker_store_url: str, sender_ids: Collection[str]) -> List[Dict[str, Any]]:
    """Every event of these conversations, oldest first, as the tracker store holds it."""
    query = (sa.select(EVENTS.c.sender_id, EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.data)
             .where(EVENTS.c.sender_id.in_(sorted(sender_ids))).order_by(EVENTS.c.id))
    with engine_for(tracker_store_url).connect() as connection:
        if not _has_events(connection):
            return []
        rows = connection.execute(query).all()
    return [{"sender_id": sender_id, "type": type_name,
             "at": dt.datetime.fromtimestamp(timestamp, dt.timezone.utc).isoformat(),
             "data": json.loads(data or "{}")}
            for sender_id, type_name, timestamp, data in rows]
