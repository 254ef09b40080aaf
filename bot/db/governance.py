"""Records of data governance: each retention run, each erasure, and what an erasure kept and why.

None of them holds a phone number or message text: an erasure record says how many rows of each
kind were deleted, and a keep names a record by id with the reason it stayed.
"""
from __future__ import annotations

import sqlalchemy as sa

from bot.db.models import Base, utcnow


class RetentionRun(Base):
    """One `python -m bot retention run`. While `finished_at` is empty (inside the run's own
    transaction) the database lets it delete audit rows older than `audit_cutoff`; see migration
    0005_data_governance."""

    __tablename__ = "retention_runs"

    id = sa.Column(sa.Integer, primary_key=True)
    started_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow)
    finished_at = sa.Column(sa.DateTime(timezone=True))
    audit_cutoff = sa.Column(sa.DateTime(timezone=True))
    # {"conversations": 3, "conversation_events": 40, …}: what the run deleted, per kind.
    deleted = sa.Column(sa.JSON)


class Erasure(Base):
    """One erasure request carried out (`python -m bot subject erase`)."""

    __tablename__ = "erasures"

    id = sa.Column(sa.Integer, primary_key=True)
    at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow)
    deleted = sa.Column(sa.JSON, nullable=False)


class ErasureKeep(Base):
    """A record an erasure did not delete, because safeguarding needs it or a message is still to
    be answered, and why."""

    __tablename__ = "erasure_keeps"

    id = sa.Column(sa.Integer, primary_key=True)
    erasure_id = sa.Column(sa.Integer, sa.ForeignKey("erasures.id"), nullable=False, index=True)
    # "case", "consent" or "pending_message" (an inbound message), named by its id; a contact or
    # conversation is keyed by pseudonym, which a keep never holds, so "case_contact" and
    # "case_conversation" name the case, and "pending_message_contact" the message, it is kept for.
    record = sa.Column(sa.String(32), nullable=False)
    record_id = sa.Column(sa.Integer, nullable=False)
    reason = sa.Column(sa.String(255), nullable=False)
