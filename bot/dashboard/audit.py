"""The audit log: who did what, when, to which case, from which address.

Rows are only ever inserted (the database refuses updates and deletes). `record` takes the caller's
database session, so an action and its audit row commit together or not at all.
"""
from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import List, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from bot.db.models import utcnow
from bot.db.staff import AuditEntry, Staff

PAGE_SIZE = 200


class Action(str, enum.Enum):
    SIGNED_IN = "signed_in"
    SIGN_IN_FAILED = "sign_in_failed"
    MFA_ENROLLED = "mfa_enrolled"
    SIGNED_OUT = "signed_out"
    QUEUE_VIEWED = "queue_viewed"
    CASE_VIEWED = "case_viewed"
    CASE_EXPORTED = "case_exported"
    CASE_CLAIMED = "case_claimed"
    CASE_UNCLAIMED = "case_unclaimed"
    CASE_REASSIGNED = "case_reassigned"
    NOTE_ADDED = "note_added"
    REPLY_SENT = "reply_sent"
    CASE_CLOSED = "case_closed"
    ON_CALL_ALERTED = "on_call_alerted"
    AUDIT_VIEWED = "audit_viewed"
    AUDIT_EXPORTED = "audit_exported"
    MODEL_PROMOTED = "model_promoted"
    MODEL_PROMOTED_OVER_GATE = "model_promoted_over_gate"
    MODEL_PROMOTION_REFUSED = "model_promotion_refused"
    MODEL_ROLLED_BACK = "model_rolled_back"
    INBOX_LABELLED = "inbox_labelled"
    INBOX_NOISE = "inbox_noise"
    CASE_FLAGGED_FALSE_ALARM = "case_flagged_false_alarm"
    CASE_FLAGGED_MISSED_RISK = "case_flagged_missed_risk"
    JOB_STARTED = "job_started"
    RETENTION_RUN = "retention_run"
    SUBJECT_EXPORTED = "subject_exported"
    SUBJECT_ERASED = "subject_erased"


def record(session: Session, action: Action, *, staff: Optional[Staff] = None,
           case_id: Optional[int] = None, detail: Optional[str] = None, ip: Optional[str] = None,
           now: Optional[dt.datetime] = None) -> None:
    """Add an audit row to the caller's transaction. `detail` is a short label, never message text."""
    session.add(AuditEntry(
        at=now or utcnow(), staff_id=staff.id if staff else None,
        staff_email=staff.email if staff else None, case_id=case_id, action=action.value,
        detail=(detail or None) and detail[:255], ip=ip,
    ))


@dataclass(frozen=True)
class AuditFilter:
    staff_email: str = ""
    case_id: Optional[int] = None
    action: str = ""
    since: Optional[dt.date] = None
    until: Optional[dt.date] = None


class AuditLog:
    def __init__(self, sessions: sessionmaker) -> None:
        self.sessions = sessions

    def write(self, action: Action, **fields) -> None:
        """One audit row in its own transaction (for events that change nothing else)."""
        with self.sessions.begin() as session:
            record(session, action, **fields)

    def search(self, wanted: AuditFilter, limit: Optional[int] = PAGE_SIZE) -> List[AuditEntry]:
        """Newest first."""
        query = sa.select(AuditEntry).order_by(AuditEntry.id.desc())
        if wanted.staff_email:
            query = query.where(AuditEntry.staff_email.contains(wanted.staff_email.strip().lower()))
        if wanted.case_id is not None:
            query = query.where(AuditEntry.case_id == wanted.case_id)
        if wanted.action:
            query = query.where(AuditEntry.action == wanted.action)
        if wanted.since:
            query = query.where(AuditEntry.at >= _start_of(wanted.since))
        if wanted.until:
            query = query.where(AuditEntry.at < _start_of(wanted.until + dt.timedelta(days=1)))
        if limit:
            query = query.limit(limit)
        with self.sessions() as session:
            return list(session.execute(query).scalars())


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.timezone.utc)
