"""Tables behind the staff dashboard: accounts, server-side sessions, the audit log, and the work
staff do on a case (who holds it, notes, replies, on-call alerts).

They share `Base` with the handoff tables, so one Alembic history migrates both, and a case's
foreign keys point at `handoffs.id`.
"""
from __future__ import annotations

import enum

import sqlalchemy as sa

from bot.db.models import Base, utcnow


class Role(str, enum.Enum):
    HEALTH_VISITOR = "health_visitor"
    TRAINER = "trainer"
    ADMIN = "admin"


DEFAULT_TEAM = "default"


class Staff(Base):
    """A person who signs in to the dashboard. Never deleted: the audit log points at them."""

    __tablename__ = "staff"

    id = sa.Column(sa.Integer, primary_key=True)
    email = sa.Column(sa.String(255), nullable=False, unique=True)
    role = sa.Column(sa.String(32), nullable=False)
    team = sa.Column(sa.String(64), nullable=False, default=DEFAULT_TEAM)
    password_hash = sa.Column(sa.String(255), nullable=False)
    # Null until the person enrols an authenticator on their first sign-in.
    totp_secret = sa.Column(sa.String(64))
    # The last TOTP time step accepted, so a code seen over a shoulder cannot be replayed.
    totp_last_step = sa.Column(sa.BigInteger)
    mfa_required = sa.Column(sa.Boolean, nullable=False, default=True)
    disabled = sa.Column(sa.Boolean, nullable=False, default=False)
    failed_logins = sa.Column(sa.Integer, nullable=False, default=0)
    # After a few failures each attempt must wait; after more, the account is locked for a while.
    next_attempt_at = sa.Column(sa.DateTime(timezone=True))
    locked_until = sa.Column(sa.DateTime(timezone=True))
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow)
    last_login_at = sa.Column(sa.DateTime(timezone=True))


class StaffSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored, so a copy
    of the database cannot be used to sign in. Logout and idle timeout end the row, not the cookie."""

    __tablename__ = "staff_sessions"

    token_hash = sa.Column(sa.String(64), primary_key=True)
    staff_id = sa.Column(sa.Integer, sa.ForeignKey("staff.id"), nullable=False, index=True)
    # "mfa": password accepted, TOTP still to come; "active": fully signed in.
    stage = sa.Column(sa.String(16), nullable=False)
    csrf_token = sa.Column(sa.String(64), nullable=False)
    # A secret being enrolled: kept here until the person proves their app shows the same codes.
    pending_totp_secret = sa.Column(sa.String(64))
    ip = sa.Column(sa.String(64))
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow)
    last_seen_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow)
    ended_at = sa.Column(sa.DateTime(timezone=True))


class AuditEntry(Base):
    """Who did what, when, to which case, from where. Append-only: the migration adds triggers that
    refuse UPDATE and DELETE on both SQLite and PostgreSQL. `detail` never holds message text."""

    __tablename__ = "audit_log"

    id = sa.Column(sa.Integer, primary_key=True)
    at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    staff_id = sa.Column(sa.Integer, sa.ForeignKey("staff.id"), index=True)
    # Copied, so the row still reads right if the account's email changes.
    staff_email = sa.Column(sa.String(255))
    # No foreign key (dropped by migration 0005): the row outlives a case deleted by retention or
    # erasure, and still names it by id.
    case_id = sa.Column(sa.Integer, index=True)
    action = sa.Column(sa.String(64), nullable=False, index=True)
    detail = sa.Column(sa.String(255))
    ip = sa.Column(sa.String(64))


class CaseAssignment(Base):
    """Who holds a case. One row per case at most; unclaiming deletes it (the audit log keeps the
    history)."""

    __tablename__ = "case_assignments"

    handoff_id = sa.Column(sa.Integer, sa.ForeignKey("handoffs.id"), primary_key=True)
    staff_id = sa.Column(sa.Integer, sa.ForeignKey("staff.id"), nullable=False, index=True)
    claimed_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow)


class CaseNote(Base):
    __tablename__ = "case_notes"

    id = sa.Column(sa.Integer, primary_key=True)
    handoff_id = sa.Column(sa.Integer, sa.ForeignKey("handoffs.id"), nullable=False, index=True)
    staff_id = sa.Column(sa.Integer, sa.ForeignKey("staff.id"), nullable=False)
    text = sa.Column(sa.Text, nullable=False)
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow)


class CaseReply(Base):
    """What a member of staff sent the parent (and the closing message), as part of the conversation."""

    __tablename__ = "case_replies"

    id = sa.Column(sa.Integer, primary_key=True)
    handoff_id = sa.Column(sa.Integer, sa.ForeignKey("handoffs.id"), nullable=False, index=True)
    staff_id = sa.Column(sa.Integer, sa.ForeignKey("staff.id"), nullable=False)
    text = sa.Column(sa.Text, nullable=False)
    # "reply" or "closing"
    kind = sa.Column(sa.String(16), nullable=False, default="reply")
    # The first outbox row it became (bot.messaging.outbox), for its delivery status. No foreign
    # key: the outbox's migration is a separate branch of the schema.
    outbound_id = sa.Column(sa.Integer)
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow)


class CaseAlert(Base):
    """An on-call alert sent for a case. Unique per case and kind, so two dashboard processes (or a
    restart) can never page the on-call phone twice for the same reason."""

    __tablename__ = "case_alerts"
    __table_args__ = (sa.UniqueConstraint("handoff_id", "kind"),)

    id = sa.Column(sa.Integer, primary_key=True)
    handoff_id = sa.Column(sa.Integer, sa.ForeignKey("handoffs.id"), nullable=False)
    # "new": the case arrived; "overdue": still unclaimed at its target time.
    kind = sa.Column(sa.String(16), nullable=False)
    # The outbox row the SMS became (no foreign key, as for CaseReply).
    outbound_id = sa.Column(sa.Integer)
    sent_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow)
