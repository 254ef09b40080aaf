"""Tables for handoffs ("cases") and the consent that allows them.

A case is a handoff, everywhere: in code, in the database and on screen. Each consent decision is its
own row, so staff can see exactly what the parent agreed to, with which wording, and when.
"""
from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class CaseStatus(str, enum.Enum):
    OPEN = "open"
    CLAIMED = "claimed"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


ACTIVE_STATUSES = (CaseStatus.OPEN.value, CaseStatus.CLAIMED.value)


class ConsentDecision(str, enum.Enum):
    GIVEN = "given"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class Handoff(Base):
    __tablename__ = "handoffs"

    id = sa.Column(sa.Integer, primary_key=True)
    # The offer the parent said yes to: unique, so a repeated "yes" can never make a second case.
    offer_id = sa.Column(sa.String(64), nullable=False, unique=True)
    sender_id = sa.Column(sa.String(255), nullable=False, index=True)
    channel = sa.Column(sa.String(32), nullable=False)
    category = sa.Column(sa.String(32), nullable=False)
    level = sa.Column(sa.String(16), nullable=False)
    matched = sa.Column(sa.Text)
    # Every category raised in the conversation so far, and the score they add up to.
    categories = sa.Column(sa.JSON, nullable=False, default=list)
    priority = sa.Column(sa.Integer, nullable=False, default=0)
    # The parent's messages that raised the risk, with when each arrived.
    trigger_messages = sa.Column(sa.JSON, nullable=False, default=list)
    status = sa.Column(sa.String(16), nullable=False, default=CaseStatus.OPEN.value, index=True)
    team = sa.Column(sa.String(64), nullable=False, default="default")
    outcome = sa.Column(sa.String(64))
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow)
    consented_at = sa.Column(sa.DateTime(timezone=True), nullable=False)
    updated_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)
    closed_at = sa.Column(sa.DateTime(timezone=True))

    consents = relationship("Consent", back_populates="handoff", order_by="Consent.id")
    messages = relationship("CaseMessage", back_populates="handoff", order_by="CaseMessage.id")


class Consent(Base):
    """One consent decision. A declined offer keeps the category and time, never the message text."""

    __tablename__ = "consents"

    id = sa.Column(sa.Integer, primary_key=True)
    sender_id = sa.Column(sa.String(255), nullable=False, index=True)
    handoff_id = sa.Column(sa.Integer, sa.ForeignKey("handoffs.id"))
    decision = sa.Column(sa.String(16), nullable=False)
    category = sa.Column(sa.String(32), nullable=False)
    wording_version = sa.Column(sa.String(64), nullable=False)
    wording_text = sa.Column(sa.Text, nullable=False)
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow)

    handoff = relationship("Handoff", back_populates="consents")


class CaseMessage(Base):
    """A parent's message that arrived while their case was open and the bot was paused."""

    __tablename__ = "case_messages"

    id = sa.Column(sa.Integer, primary_key=True)
    handoff_id = sa.Column(sa.Integer, sa.ForeignKey("handoffs.id"), nullable=False, index=True)
    text = sa.Column(sa.Text, nullable=False)
    risk_category = sa.Column(sa.String(32))
    received_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow)

    handoff = relationship("Handoff", back_populates="messages")
