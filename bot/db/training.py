"""Tables behind the trainers' inbox: redacted parent messages the bot misunderstood, and how far
the collector has read the conversation events. No sender id is kept: trainers label wording."""
from __future__ import annotations

import sqlalchemy as sa

from bot.db.models import Base, utcnow


class InboxItem(Base):
    __tablename__ = "training_inbox"

    id = sa.Column(sa.Integer, primary_key=True)
    # The tracker store's event id: a message enters the inbox once, however often we collect.
    source_event_id = sa.Column(sa.BigInteger, unique=True)
    text = sa.Column(sa.Text, nullable=False)  # already redacted
    source = sa.Column(sa.String(32), nullable=False)  # fallback | unsure
    predicted_intent = sa.Column(sa.String(128))
    confidence = sa.Column(sa.Float)
    risk_category = sa.Column(sa.String(64))
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow)
    status = sa.Column(sa.String(16), nullable=False, default="new")  # new | labelled | noise
    label = sa.Column(sa.String(128))
    labelled_by = sa.Column(sa.String(255))
    labelled_at = sa.Column(sa.DateTime(timezone=True))


class InboxCursor(Base):
    __tablename__ = "training_inbox_cursor"

    name = sa.Column(sa.String(32), primary_key=True)
    last_event_id = sa.Column(sa.BigInteger, nullable=False)
