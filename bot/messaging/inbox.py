"""The inbox: each message Twilio delivered, stored before the 2xx, processed exactly once, in order.

`store` runs inside the webhook request and decides duplicates with the unique MessageSid, so a
retry from Twilio (or the same request twice at once) is acknowledged without being stored or
answered again. The worker asks `due` for the oldest pending message of each parent and finishes
each with `finish`, which commits the replies to the outbox and the processed mark together.

Claiming is per parent: one worker, in whichever replica, handles one parent's messages one at a
time. `claim` takes the parent's lock (`bot.db.locks`: a PostgreSQL advisory lock shared by every
replica, or a lock on a file beside the database on SQLite) and only then reads which message is the parent's oldest
pending one, so a message another replica finished a moment ago is never taken again.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable, List, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from bot.db.dialect import insert_unless_exists
from bot.db.locks import OTHER_REPLICAS_SLACK, KeyLocks
from bot.db.messaging import Channel, InboundMessage, InboundStatus
from bot.db.models import utcnow
from bot.messaging import contacts


@dataclass(frozen=True)
class Arrival:
    """What the webhook learned from one genuine Twilio request."""

    message_sid: str
    address: str            # From: "+44…" or "whatsapp:+44…"
    our_address: Optional[str]  # To: which of our numbers they wrote to
    sender_id: str
    channel: Channel
    body: str
    num_media: int
    has_location: bool


def store(session: Session, arrival: Arrival, now: Optional[dt.datetime] = None) -> bool:
    """Store the message and its sender; False if this MessageSid was stored before."""
    now = now or utcnow()
    # The contact first: it takes the parent's row lock, so one parent's messages get their ids
    # in commit order.
    contacts.record_inbound(session, arrival.sender_id, arrival.address, arrival.channel,
                            arrival.our_address, now)
    return insert_unless_exists(session, InboundMessage.__table__, dict(
        message_sid=arrival.message_sid, sender_id=arrival.sender_id, channel=arrival.channel.value,
        body=arrival.body, num_media=arrival.num_media, has_location=arrival.has_location,
        status=InboundStatus.PENDING.value, attempts=0, received_at=now,
    ))


def claim(session: Session, locks: KeyLocks, limit: int) -> List[InboundMessage]:
    """The oldest pending message of up to `limit` parents, oldest first, each parent now locked in
    `locks` (the caller releases it when done), each with its attempt counted (`attempts` above 1:
    an earlier attempt may have reached Rasa before its process died).

    Parents this process already holds are skipped; a parent another replica holds fails the
    try-lock and is skipped too. The caller commits (one commit per batch).
    """
    earlier = aliased(InboundMessage)
    older_pending = (sa.select(earlier.id)
                     .where(earlier.sender_id == InboundMessage.sender_id,
                            earlier.status == InboundStatus.PENDING.value,
                            earlier.id < InboundMessage.id)
                     .exists())
    query = (sa.select(InboundMessage.sender_id)
             .where(InboundMessage.status == InboundStatus.PENDING.value, ~older_pending)
             .order_by(InboundMessage.id).limit(limit + OTHER_REPLICAS_SLACK))
    busy = locks.holding()
    if busy:
        query = query.where(InboundMessage.sender_id.notin_(list(busy)))
    return claim_parents(session, locks, session.execute(query).scalars(), limit)


def claim_parents(session: Session, locks: KeyLocks, sender_ids: Iterable[str], limit: int) -> List[InboundMessage]:
    """`claim` for the parents named (e.g. the one whose message the webhook just stored), in that
    order, without looking for others: the oldest pending message of each parent whose lock this
    process gets, up to `limit`. The caller commits."""
    rows = []
    for sender_id in sender_ids:
        if len(rows) == limit:
            break
        if not locks.try_acquire(sender_id):
            continue
        try:
            row = next_pending(session, sender_id)
        except Exception:
            locks.release(sender_id)
            raise
        if row is None:  # another replica finished it between our read and our lock
            locks.release(sender_id)
            continue
        rows.append(row)
    return rows


def next_pending(session: Session, sender_id: str) -> Optional[InboundMessage]:
    """The parent's oldest pending message with this attempt counted, or None; the caller holds the
    parent's lock (so no lost update) and commits. One statement, run after the lock is held: a
    fresh statement (READ COMMITTED) sees what the previous holder committed before it let go."""
    return session.execute(_COUNT_OLDEST_PENDING, {"sender_id": sender_id}).scalar_one_or_none()


# Read and count in one round trip (UPDATE … RETURNING, PostgreSQL and SQLite 3.35+), built once:
# a third of the CPU of a select and a flushed change (benchmarks/channel_db.py).
_COUNT_OLDEST_PENDING = sa.select(InboundMessage).from_statement(sa.text(
    "UPDATE inbound_messages SET attempts = attempts + 1 WHERE id = ("
    "  SELECT id FROM inbound_messages WHERE sender_id = :sender_id AND status = :pending"
    "  ORDER BY id LIMIT 1) "
    "RETURNING *"
).bindparams(pending=InboundStatus.PENDING.value).columns(*InboundMessage.__table__.c)
).execution_options(populate_existing=True)


def finish(session: Session, message_id: int, status: InboundStatus = InboundStatus.PROCESSED,
           error: Optional[str] = None) -> bool:
    """Mark the message done; False if it was already done (then the caller must roll back)."""
    result = session.execute(_FINISH, dict(message_id=message_id, status=status.value, processed_at=utcnow(),
                                           last_error=error))
    return result.rowcount == 1


# Built once (a Core statement: nothing in the session needs to learn of the change).
_FINISH = (InboundMessage.__table__.update()
           .where(InboundMessage.__table__.c.id == sa.bindparam("message_id"),
                  InboundMessage.__table__.c.status == InboundStatus.PENDING.value))


def record_attempt(session: Session, message_id: int, error: str) -> None:
    """A failed attempt: keep the error and count the retry that follows it."""
    session.execute(sa.update(InboundMessage).where(InboundMessage.id == message_id)
                    .values(attempts=InboundMessage.attempts + 1, last_error=error))
