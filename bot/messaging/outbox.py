"""The outbox: every message to send through Twilio is a row here first, then the sender sends it.

Callers (the inbox worker for the bot's replies, the dashboard for a health visitor's reply or an
on-call alert) queue messages inside their own transaction and commit; nothing is sent until that
commit, and nothing committed is forgotten, because the sender drains this table even after a
restart. Rows to one recipient are sent strictly in id order.

Public API, kept stable for the dashboard:
    queue_message(session, sender_id, text, *, origin) -> list of rows (one per SMS part)
    queue_to_contact(session, contact, text, *, origin) -> list of rows
    queue_to_number(session, to_number, text, *, origin) -> list of rows
    whatsapp_window_open(session, sender_id) -> bool (re-exported from bot.messaging.contacts)
"""
from __future__ import annotations

import datetime as dt
from typing import Collection, Iterable, List, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from bot.db.dialect import insert_unless_exists
from bot.db.locks import OTHER_REPLICAS_SLACK, KeyLocks
from bot.db.messaging import Contact, EarlyStatus, OutboundMessage, OutboundStatus
from bot.db.models import utcnow
from bot.messaging import contacts
from bot.messaging.contacts import whatsapp_window_open  # noqa: F401  (part of the public API)
from bot.messaging.pseudonym import channel_of
from bot.messaging.text import split_for

ORIGINS = ("bot", "staff", "alert", "system")
# What each status Twilio reports in a status callback means here, and how far along it is;
# a late callback never moves a message backwards (Twilio does not promise their order).
_CALLBACK_STATUS = {"queued": "sent", "accepted": "sent", "sending": "sent", "sent": "sent",
                    "delivered": "delivered", "undelivered": "undelivered", "failed": "failed",
                    "read": "read"}
_PROGRESS = {"sent": 1, "delivered": 2, "undelivered": 2, "failed": 2, "read": 3}
# How long a status for a sid no message has is kept (`EarlyStatus`): the sender records a sid
# within seconds of Twilio taking the message, so a day is plenty.
EARLY_STATUS_KEPT = dt.timedelta(days=1)
# Not yet sent or given up: a later message to the same recipient waits behind these.
_WAITING = (OutboundStatus.QUEUED.value, OutboundStatus.SENDING.value)


def queue_message(session: Session, sender_id: str, text: str, *, origin: str,
                  inbound_id: Optional[int] = None, ignores_opt_out: bool = False) -> List[OutboundMessage]:
    """Queue `text` to the parent behind `sender_id`, on the channel they use.

    Returns the rows, one per message it becomes (a long SMS is split on sentence boundaries);
    they are flushed, so they have ids, but the caller commits. Raises LookupError for a sender id
    that never wrote to us over Twilio (e.g. a REST-channel conversation), ValueError for blank text.
    """
    return queue_to_contact(session, contacts.contact(session, sender_id), text, origin=origin,
                            inbound_id=inbound_id, ignores_opt_out=ignores_opt_out)


def queue_to_contact(session: Session, contact: Contact, text: str, *, origin: str,
                     inbound_id: Optional[int] = None, ignores_opt_out: bool = False) -> List[OutboundMessage]:
    """`queue_message` for a contact the caller has loaded. A caller that goes on to claim the
    reply for sending in the same transaction keeps the contact referenced: the session holds
    loaded rows only weakly, and the sender's plan reads the contact again (one SELECT fewer)."""
    return _queue(session, contact.sender_id, contact.address, text, origin, inbound_id, ignores_opt_out)


def queue_to_number(session: Session, to_number: str, text: str, *, origin: str) -> List[OutboundMessage]:
    """Queue `text` to a phone number (E.164, or "whatsapp:+44…"), e.g. the on-call alert.

    If the number is a known parent, their opt-out still applies.
    """
    known = contacts.contact_by_address(session, to_number)
    return _queue(session, known.sender_id if known else None, to_number, text, origin, None, False)


def _queue(session: Session, sender_id: Optional[str], address: str, text: str, origin: str,
           inbound_id: Optional[int], ignores_opt_out: bool) -> List[OutboundMessage]:
    if origin not in ORIGINS:
        raise ValueError(f"origin must be one of {ORIGINS}, got {origin!r}")
    channel = channel_of(address)
    parts = split_for(channel, text)
    if not parts:
        raise ValueError("there is no text to send")
    now = utcnow()
    rows = [
        OutboundMessage(sender_id=sender_id, to_address=address, channel=channel.value, body=part,
                        origin=origin, inbound_id=inbound_id, ignores_opt_out=ignores_opt_out,
                        status=OutboundStatus.QUEUED.value, attempts=0, next_attempt_at=now,
                        created_at=now, updated_at=now)
        for part in parts
    ]
    session.add_all(rows)
    session.flush()
    return rows


def claim(session: Session, now: dt.datetime, locks: KeyLocks, limit: int) -> List[OutboundMessage]:
    """Take the oldest queued message of up to `limit` recipients whose turn it is, marking it
    "sending"; each recipient is now locked in `locks` (the caller releases it after recording
    the result).

    A recipient's later message waits while an earlier one is queued (e.g. backing off after a 429)
    or being sent, so parts and replies never overtake each other. "sending" is committed before
    Twilio is called: after a crash the sender knows which messages may or may not have gone. The
    lock is taken before the row is read again and marked, so two replicas never send one row.
    """
    earlier = aliased(OutboundMessage)
    older_waiting = (sa.select(earlier.id)
                     .where(earlier.to_address == OutboundMessage.to_address,
                            earlier.status.in_(_WAITING),
                            earlier.id < OutboundMessage.id)
                     .exists())
    query = (sa.select(OutboundMessage.to_address)
             .where(OutboundMessage.status == OutboundStatus.QUEUED.value,
                    OutboundMessage.next_attempt_at <= now, ~older_waiting)
             .order_by(OutboundMessage.id).limit(limit + OTHER_REPLICAS_SLACK))
    busy = locks.holding()
    if busy:
        query = query.where(OutboundMessage.to_address.notin_(list(busy)))
    return claim_recipients(session, now, locks, session.execute(query).scalars(), limit)


def claim_recipients(session: Session, now: dt.datetime, locks: KeyLocks, addresses: Iterable[str],
                     limit: int) -> List[OutboundMessage]:
    """`claim` for the recipients named (e.g. the parent whose replies were just queued), in that
    order, without looking for others. The caller commits."""
    rows = []
    for address in addresses:
        if len(rows) == limit:
            break
        if not locks.try_acquire(address):
            continue
        row = next_to_send(session, address, now)
        if row is None:
            locks.release(address)
            continue
        rows.append(row)
    return rows


def next_to_send(session: Session, address: str, now: dt.datetime) -> Optional[OutboundMessage]:
    """The recipient's oldest waiting message marked "sending", if it is queued and due; None if
    there is none, or it is in doubt after a crash (settled separately), or backing off. The
    caller holds the recipient's lock and commits. One statement, read fresh after the lock."""
    return session.execute(_MARK_OLDEST_WAITING_SENDING, {"address": address, "now": now}).scalar_one_or_none()


# Read and mark in one round trip (UPDATE … RETURNING, PostgreSQL and SQLite 3.35+), built once:
# the oldest waiting message is taken only if it is queued and due, as `oldest_waiting` would tell.
_MARK_OLDEST_WAITING_SENDING = sa.select(OutboundMessage).from_statement(sa.text(
    "UPDATE outbound_messages SET status = :sending, updated_at = :now WHERE id = ("
    "  SELECT id FROM outbound_messages WHERE to_address = :address AND status IN (:queued, :sending)"
    "  ORDER BY id LIMIT 1) "
    "AND status = :queued AND next_attempt_at <= :now "
    "RETURNING *"
).bindparams(sa.bindparam("now", type_=OutboundMessage.__table__.c.updated_at.type),
             queued=OutboundStatus.QUEUED.value, sending=OutboundStatus.SENDING.value
             ).columns(*OutboundMessage.__table__.c)
).execution_options(populate_existing=True)


def oldest_waiting(session: Session, address: str) -> Optional[OutboundMessage]:
    """The recipient's first message not yet sent or given up; read fresh, after the lock is held."""
    return session.execute(
        sa.select(OutboundMessage)
        .where(OutboundMessage.to_address == address, OutboundMessage.status.in_(_WAITING))
        .order_by(OutboundMessage.id).limit(1)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def in_doubt(session: Session, before: dt.datetime) -> List[OutboundMessage]:
    """Messages marked "sending" (claimed, or sent without an answer) no later than `before`:
    Twilio may or may not have them. One whose recipient lock is free has no live sender (see
    OutboxSender._settled)."""
    return list(session.execute(sa.select(OutboundMessage)
                                .where(OutboundMessage.status == OutboundStatus.SENDING.value,
                                       OutboundMessage.updated_at <= before)
                                .order_by(OutboundMessage.id)).scalars())


def known_sids(session: Session, sids: Collection[str]) -> set:
    if not sids:
        return set()
    return set(session.execute(sa.select(OutboundMessage.twilio_sid)
                               .where(OutboundMessage.twilio_sid.in_(list(sids)))).scalars())


def requeue(session: Session, message_id: int) -> None:
    session.execute(sa.update(OutboundMessage).where(OutboundMessage.id == message_id).values(
        status=OutboundStatus.QUEUED.value, updated_at=utcnow()))


def mark_sent(session: Session, message_id: int, twilio_sid: str, content_sid: Optional[str]) -> None:
    """Record that Twilio took the message as `twilio_sid`, with any status Twilio reported for
    that sid before now (`EarlyStatus`, taken off that table here)."""
    now = utcnow()
    status, error_code = OutboundStatus.SENT.value, None
    early = session.execute(_TAKE_EARLY_STATUS, {"twilio_sid": twilio_sid}).first()
    if early is not None and _PROGRESS[early.status] >= _PROGRESS[status]:
        status, error_code = early.status, early.error_code
    session.execute(_MARK_SENT, dict(
        message_id=message_id, status=status, twilio_sid=twilio_sid, content_sid=content_sid,
        sent_at=now, updated_at=now, error_code=error_code))


# Built once: the statements of every message sent (benchmarks/channel_db.py).
_TAKE_EARLY_STATUS = sa.text("DELETE FROM early_statuses WHERE twilio_sid = :twilio_sid RETURNING status, error_code")
_MARK_SENT = (OutboundMessage.__table__.update()
              .where(OutboundMessage.__table__.c.id == sa.bindparam("message_id"))
              .values(attempts=OutboundMessage.__table__.c.attempts + 1))


def mark_in_doubt(session: Session, message_id: int, error_code: str, error: str) -> None:
    """The request got no answer: the row stays "sending" until Twilio is asked whether it has it;
    `updated_at` says from when its request may still be on its way."""
    session.execute(sa.update(OutboundMessage).where(OutboundMessage.id == message_id).values(
        attempts=OutboundMessage.attempts + 1, error_code=error_code, error_message=error,
        updated_at=utcnow()))


def mark_retry(session: Session, message_id: int, error_code: str, error: str, retry_at: dt.datetime) -> None:
    session.execute(sa.update(OutboundMessage).where(OutboundMessage.id == message_id).values(
        status=OutboundStatus.QUEUED.value, attempts=OutboundMessage.attempts + 1, error_code=error_code, error_message=error,
        next_attempt_at=retry_at, updated_at=utcnow()))


def mark_failed(session: Session, message_id: int, error_code: str, error: str) -> None:
    session.execute(sa.update(OutboundMessage).where(OutboundMessage.id == message_id).values(
        status=OutboundStatus.FAILED.value, attempts=OutboundMessage.attempts + 1,
        error_code=error_code, error_message=error, updated_at=utcnow()))


def mark_suppressed(session: Session, message_id: int, reason: str) -> None:
    session.execute(sa.update(OutboundMessage).where(OutboundMessage.id == message_id).values(
        status=OutboundStatus.SUPPRESSED.value, error_message=reason, updated_at=utcnow()))


def apply_status(session: Session, twilio_sid: str, status: str, error_code: Optional[str]) -> bool:
    """Record a status callback; False if the status is not a delivery status. A sid no message
    has yet is kept as an early status for `mark_sent`: Twilio may report a message before the
    sender has its answer to Messages.create."""
    ours = _CALLBACK_STATUS.get(status)
    if ours is None:
        return False
    row = session.execute(sa.select(OutboundMessage).where(OutboundMessage.twilio_sid == twilio_sid)
                          ).scalar_one_or_none()
    target = row if row is not None else _early_status(session, twilio_sid)
    if _PROGRESS[ours] >= _PROGRESS.get(target.status, 0):
        target.status = ours
        target.error_code = error_code or target.error_code
        if row is not None:
            row.updated_at = utcnow()
    return True


def _early_status(session: Session, twilio_sid: str) -> EarlyStatus:
    """The sid's early status row, new if there is none, locked until the transaction ends (two
    callbacks for one sid may arrive together); early statuses older than EARLY_STATUS_KEPT are
    deleted first (their sids were never ours). A callback committed in the same instant as the
    send's sid can still miss it; that status is then lost as before."""
    now = utcnow()
    session.execute(sa.delete(EarlyStatus).where(EarlyStatus.received_at < now - EARLY_STATUS_KEPT))
    insert_unless_exists(session, EarlyStatus.__table__, dict(twilio_sid=twilio_sid, status="", received_at=now))
    return session.execute(sa.select(EarlyStatus).where(EarlyStatus.twilio_sid == twilio_sid)
                           .with_for_update()).scalar_one()
