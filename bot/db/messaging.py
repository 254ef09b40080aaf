"""Tables for the Twilio channel: who a pseudonym is, every message in, every message out.

The phone number of a parent lives only here (`contacts.address`), keyed by the pseudonymous
sender id that Rasa and the logs see. Inbound rows are written before Twilio gets its 2xx, with a
unique MessageSid, so a message is never lost and never handled twice. Outbound rows are the outbox
the sender drains, and the record of what happened to each message (Twilio's sid, status, error).
"""
from __future__ import annotations

import enum

import sqlalchemy as sa

from bot.db.models import Base, utcnow


class Channel(str, enum.Enum):
    SMS = "sms"
    WHATSAPP = "whatsapp"


class InboundStatus(str, enum.Enum):
    PENDING = "pending"
    PROCESSED = "processed"
    # Gave up after repeated errors; the parent was told something went wrong.
    FAILED = "failed"


class OutboundStatus(str, enum.Enum):
    QUEUED = "queued"        # waiting for the sender (also after a retryable error)
    SENDING = "sending"      # handed to Twilio; if the process dies now, the sender asks Twilio
    SENT = "sent"            # Twilio accepted it; later statuses come from status callbacks
    DELIVERED = "delivered"
    READ = "read"
    UNDELIVERED = "undelivered"
    FAILED = "failed"        # Twilio refused it, or we gave up retrying
    SUPPRESSED = "suppressed"  # never sent: the parent opted out


class Contact(Base):
    """A parent (or other number we talk to): pseudonym, address, opt-out and WhatsApp window."""

    __tablename__ = "contacts"

    sender_id = sa.Column(sa.String(64), primary_key=True)
    # "+447700900123" for SMS, "whatsapp:+447700900123" for WhatsApp: what Twilio calls From/To.
    address = sa.Column(sa.String(64), nullable=False, unique=True)
    channel = sa.Column(sa.String(16), nullable=False)
    # Our number the parent last wrote to; replies come from it unless a Messaging Service is set.
    our_address = sa.Column(sa.String(64))
    opted_out_at = sa.Column(sa.DateTime(timezone=True))
    last_inbound_at = sa.Column(sa.DateTime(timezone=True))
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow)


class InboundMessage(Base):
    """One message Twilio delivered to the webhook, stored before it was acknowledged."""

    __tablename__ = "inbound_messages"

    id = sa.Column(sa.Integer, primary_key=True)  # arrival order
    message_sid = sa.Column(sa.String(64), nullable=False, unique=True)
    sender_id = sa.Column(sa.String(64), nullable=False)
    channel = sa.Column(sa.String(16), nullable=False)
    body = sa.Column(sa.Text, nullable=False, default="")
    num_media = sa.Column(sa.Integer, nullable=False, default=0)
    # True when the parent shared a location; the coordinates themselves are not kept.
    has_location = sa.Column(sa.Boolean, nullable=False, default=False)
    status = sa.Column(sa.String(16), nullable=False, default=InboundStatus.PENDING.value)
    attempts = sa.Column(sa.Integer, nullable=False, default=0)
    last_error = sa.Column(sa.Text)
    received_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow)
    processed_at = sa.Column(sa.DateTime(timezone=True))

    __table_args__ = (sa.Index("ix_inbound_pending", "status", "sender_id", "id"),)


class OutboundMessage(Base):
    """One message to send through Twilio (one SMS part or one WhatsApp message) and its fate."""

    __tablename__ = "outbound_messages"

    id = sa.Column(sa.Integer, primary_key=True)  # send order per recipient
    # None for a raw number that is not a parent (e.g. the on-call alert).
    sender_id = sa.Column(sa.String(64), index=True)
    to_address = sa.Column(sa.String(64), nullable=False)
    channel = sa.Column(sa.String(16), nullable=False)
    body = sa.Column(sa.Text, nullable=False)
    # "bot", "staff", "alert", "system" (opt-out, help, media replies).
    origin = sa.Column(sa.String(16), nullable=False)
    inbound_id = sa.Column(sa.Integer, sa.ForeignKey("inbound_messages.id"))
    # Only the opt-out confirmation is sent to someone who has opted out.
    ignores_opt_out = sa.Column(sa.Boolean, nullable=False, default=False)
    status = sa.Column(sa.String(16), nullable=False, default=OutboundStatus.QUEUED.value)
    twilio_sid = sa.Column(sa.String(64), unique=True)
    # Set when it went as the approved WhatsApp template because the 24 h window was closed.
    content_sid = sa.Column(sa.String(64))
    error_code = sa.Column(sa.String(16))
    error_message = sa.Column(sa.Text)
    attempts = sa.Column(sa.Integer, nullable=False, default=0)
    next_attempt_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow)
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow)
    sent_at = sa.Column(sa.DateTime(timezone=True))
    updated_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)

    __table_args__ = (sa.Index("ix_outbound_queue", "status", "to_address", "id"),)


class EarlyStatus(Base):
    """A delivery status Twilio reported before the send had recorded the message's sid.

    Twilio may post a status callback before its answer to Messages.create has reached the sender
    (`outbox.mark_sent` records the sid from that answer). Such a status is kept here, by sid, and
    applied when the sid is recorded, instead of being lost. It holds no message text or number;
    one whose sid is never recorded (a message another application sent from the same account) is
    deleted after `outbox.EARLY_STATUS_KEPT`.
    """

    __tablename__ = "early_statuses"

    twilio_sid = sa.Column(sa.String(64), primary_key=True)
    status = sa.Column(sa.String(16), nullable=False)
    error_code = sa.Column(sa.String(16))
    received_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow, index=True)
