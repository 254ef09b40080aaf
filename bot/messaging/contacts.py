"""Parents the Twilio channel knows: their address, opt-out and WhatsApp 24-hour window."""
from __future__ import annotations

import datetime as dt
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.db.dialect import insert_unless_exists
from bot.db.messaging import Channel, Contact, OutboundMessage, OutboundStatus
from bot.db.models import utcnow

# WhatsApp lets a business send free text only within 24 hours of the person's last message.
WHATSAPP_WINDOW = dt.timedelta(hours=24)


def record_inbound(session: Session, sender_id: str, address: str, channel: Channel,
                   our_address: Optional[str], at: dt.datetime) -> None:
    """Create or update the parent's contact for a message that arrived `at`.

    Which of our numbers they wrote to is remembered, and the WhatsApp window moves forward only.
    On PostgreSQL the update also holds the contact's row lock until the transaction ends, so two
    messages from one parent stored at once take their inbox ids one after the other: id order is
    commit order, and the worker can never see a later message before an earlier one. (SQLite has
    one writer at a time anyway.)

    Not one `INSERT … ON CONFLICT (sender_id) DO UPDATE`: the address is unique too, and a burst
    of first messages from a new parent could then fail on it (PostgreSQL arbitrates only the
    conflict target). Update first (one statement for a parent we know); insert if there was
    nothing to update, leaving any conflict to whoever inserted first; then update the row that
    transaction committed.
    """
    if _touch(session, sender_id, our_address, at):
        return
    if insert_unless_exists(session, Contact.__table__, dict(
            sender_id=sender_id, address=address, channel=channel.value, our_address=our_address,
            last_inbound_at=at, created_at=at)):
        return
    if not _touch(session, sender_id, our_address, at):
        raise LookupError(f"address of sender id {sender_id!r} belongs to another contact")


def _touch(session: Session, sender_id: str, our_address: Optional[str], at: dt.datetime) -> bool:
    """Record a message from a known contact, taking its row lock; False if there is none."""
    return session.execute(_TOUCH, {"contact": sender_id, "written_to": our_address, "at": at}).rowcount == 1


# Built once (a Core statement: nothing in the session needs to learn of the change).
_CONTACTS = Contact.__table__
_TOUCH = (_CONTACTS.update().where(_CONTACTS.c.sender_id == sa.bindparam("contact"))
          .values(our_address=sa.func.coalesce(sa.bindparam("written_to", type_=_CONTACTS.c.our_address.type),
                                               _CONTACTS.c.our_address),
                  last_inbound_at=sa.case((_CONTACTS.c.last_inbound_at > sa.bindparam("at", type_=_CONTACTS.c.last_inbound_at.type),
                                           _CONTACTS.c.last_inbound_at), else_=sa.bindparam("at"))))


def contact(session: Session, sender_id: str) -> Contact:
    found = session.get(Contact, sender_id)
    if found is None:
        raise LookupError(f"no Twilio contact for sender id {sender_id!r}")
    return found


def contact_by_address(session: Session, address: str) -> Optional[Contact]:
    return session.execute(sa.select(Contact).where(Contact.address == address)).scalar_one_or_none()


def is_opted_out(session: Session, sender_id: str) -> bool:
    return contact(session, sender_id).opted_out_at is not None


def opt_out(session: Session, sender_id: str, at: Optional[dt.datetime] = None) -> None:
    """Record the opt-out and stop everything still waiting to go to this parent."""
    session.execute(sa.update(Contact).where(Contact.sender_id == sender_id)
                    .values(opted_out_at=sa.func.coalesce(Contact.opted_out_at, at or utcnow())))
    session.execute(
        sa.update(OutboundMessage)
        .where(OutboundMessage.sender_id == sender_id,
               OutboundMessage.status == OutboundStatus.QUEUED.value,
               OutboundMessage.ignores_opt_out.is_(False))
        .values(status=OutboundStatus.SUPPRESSED.value, error_message="parent opted out",
                updated_at=utcnow())
    )


def opt_in(session: Session, sender_id: str) -> None:
    session.execute(sa.update(Contact).where(Contact.sender_id == sender_id).values(opted_out_at=None))


def whatsapp_window_open(session: Session, sender_id: str, now: Optional[dt.datetime] = None) -> bool:
    """True if free text can reach this parent on WhatsApp now (always True for SMS).

    Outside the window, the sender uses the approved template (TWILIO_WHATSAPP_TEMPLATE_SID).
    """
    found = contact(session, sender_id)
    return window_open(found, now)


def window_open(found: Optional[Contact], now: Optional[dt.datetime] = None) -> bool:
    if found is None:
        return False
    if found.channel != Channel.WHATSAPP.value:
        return True
    if found.last_inbound_at is None:
        return False
    return (now or utcnow()) - as_utc(found.last_inbound_at) < WHATSAPP_WINDOW


def as_utc(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes for timezone-aware columns; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
