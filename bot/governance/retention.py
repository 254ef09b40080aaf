"""`python -m bot retention run`: delete what has outlived its retention period, and say how much.

Each kind of record has its own period (RETENTION_*_DAYS, bot.config.RetentionPeriods):

- conversations (Rasa's events), whole conversations idle for `conversation_days`, except a
  parent's with an active case or one that ended within that period (the case page reads it);
- inbox and outbox rows older than `message_days`, once finished (never one still pending,
  queued or being sent);
- contacts (number <-> pseudonym) silent for `contact_days`, unless the parent has an active case
  or a message still waiting to go;
- closed or withdrawn cases ended `case_days` ago, with their records, and declined offers as old;
- audit rows older than `audit_days`, through the run window the database allows (migration
  0005_data_governance): UPDATE, TRUNCATE and any other DELETE are still refused.

Open and claimed cases are never deleted. The run is recorded in `retention_runs` and the audit
log, with counts only. A run refuses to start while a committed run row is unfinished (possible
only on SQLite, which cannot refuse it at commit): such a row holds the audit-delete window open.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from bot.config import RetentionPeriods
from bot.dashboard import audit
from bot.db.governance import RetentionRun
from bot.db.messaging import Contact, InboundMessage, InboundStatus, OutboundMessage, OutboundStatus
from bot.db.models import ACTIVE_STATUSES, Consent, Handoff, utcnow
from bot.db.staff import AuditEntry
from bot.governance import cases, conversations

# Outbox rows still to be sent (or in doubt after a crash) are never deleted.
_OUTBOUND_WAITING = (OutboundStatus.QUEUED.value, OutboundStatus.SENDING.value)


class UnfinishedRun(RuntimeError):
    """A committed `retention_runs` row without `finished_at`: while it exists the database lets
    anyone delete audit rows older than its cutoff. PostgreSQL refuses to commit one; SQLite cannot."""


@dataclass(frozen=True)
class Cutoffs:
    """Records older than these are expired."""

    conversation: dt.datetime
    message: dt.datetime
    contact: dt.datetime
    case: dt.datetime
    audit: dt.datetime

    @classmethod
    def at(cls, now: dt.datetime, periods: RetentionPeriods) -> "Cutoffs":
        def days(n: int) -> dt.datetime:
            return now - dt.timedelta(days=n)
        return cls(days(periods.conversation_days), days(periods.message_days), days(periods.contact_days),
                   days(periods.case_days), days(periods.audit_days))


@dataclass
class RetentionReport:
    dry_run: bool
    cutoffs: Cutoffs
    deleted: Dict[str, int] = field(default_factory=dict)
    run_id: Optional[int] = None

    def as_dict(self) -> dict:
        return {"dry_run": self.dry_run, "run_id": self.run_id,
                "cutoffs": {k: v.isoformat() for k, v in vars(self.cutoffs).items()},
                "deleted" if not self.dry_run else "would_delete": self.deleted}


def run(sessions: sessionmaker, tracker_store_url: str, periods: RetentionPeriods, *,
        dry_run: bool = False, now: Optional[dt.datetime] = None) -> RetentionReport:
    """Delete (or with `dry_run`, only count) every expired record."""
    now = now or utcnow()
    with sessions() as session:
        _refuse_if_a_run_is_unfinished(session)
    report = RetentionReport(dry_run, Cutoffs.at(now, periods))
    # Conversations first, in their own transaction: on the default setup the tracker store is
    # the same SQLite file, which a second connection could not write while ours is open.
    with sessions() as session:
        expired = _expired_conversations(session, tracker_store_url, report.cutoffs.conversation)
    report.deleted["conversations"] = len(expired)
    report.deleted["conversation_events"] = (
        sum(expired.values()) if dry_run
        else conversations.delete(tracker_store_url, expired, idle_before=report.cutoffs.conversation))
    if dry_run:
        with sessions() as session:
            report.deleted.update(_application_records(session, report.cutoffs, delete=False))
        return report
    with sessions.begin() as session:
        record = RetentionRun(started_at=now, audit_cutoff=report.cutoffs.audit)
        session.add(record)
        session.flush()  # the row opens the audit window for this transaction only
        report.deleted.update(_application_records(session, report.cutoffs, delete=True))
        record.deleted, record.finished_at = dict(report.deleted), utcnow()
        audit.record(session, audit.Action.RETENTION_RUN, detail=_summary(report.deleted), now=now)
        report.run_id = record.id
    return report


def _refuse_if_a_run_is_unfinished(session: Session) -> None:
    left_open = list(session.execute(sa.select(RetentionRun.id).where(RetentionRun.finished_at.is_(None))
                                     .order_by(RetentionRun.id)).scalars())
    if left_open:
        ids = ", ".join(map(str, left_open))
        raise UnfinishedRun(
            f"retention run(s) {ids} were committed unfinished, which holds the audit log's delete window "
            "open; find out how, then close it with: UPDATE retention_runs SET finished_at = "
            f"CURRENT_TIMESTAMP WHERE id IN ({ids})")


def _expired_conversations(session: Session, tracker_store_url: str, cutoff: dt.datetime) -> Dict[str, int]:
    idle = conversations.idle_since(tracker_store_url, cutoff)
    needed = cases.senders_with_cases_needed(session, cutoff)
    return {sender_id: count for sender_id, count in idle.items() if sender_id not in needed}


def _application_records(session: Session, cutoffs: Cutoffs, delete: bool) -> Dict[str, int]:
    """Each kind's expired rows in the application database: deleted, or only counted."""
    counts: Dict[str, int] = {}
    outbound = sa.and_(OutboundMessage.created_at < cutoffs.message,
                       OutboundMessage.status.notin_(_OUTBOUND_WAITING))
    inbound = sa.and_(InboundMessage.received_at < cutoffs.message,
                      InboundMessage.status != InboundStatus.PENDING.value,
                      ~sa.select(OutboundMessage.id).where(OutboundMessage.inbound_id == InboundMessage.id,
                                                           sa.not_(outbound)).exists())
    counts["outbound_messages"] = _apply(session, OutboundMessage, outbound, delete)
    counts["inbound_messages"] = _apply(session, InboundMessage, inbound, delete)
    counts["contacts"] = _apply(session, Contact, _contact_expired(cutoffs.contact), delete)
    expired_cases = cases.ended_before(session, cutoffs.case)
    if delete:
        counts.update(cases.delete_cases(session, expired_cases))
    else:
        counts.update(_count_case_records(session, expired_cases))
    counts["declined_offers"] = _apply(session, Consent, sa.and_(Consent.handoff_id.is_(None),
                                                                   Consent.created_at < cutoffs.case), delete)
    counts["audit_rows"] = _apply(session, AuditEntry, AuditEntry.at < cutoffs.audit, delete)
    return counts


def _contact_expired(cutoff: dt.datetime) -> sa.sql.ColumnElement:
    """Silent since `cutoff`, no active case, nothing waiting to be sent to them."""
    active_case = sa.select(Handoff.id).where(Handoff.sender_id == Contact.sender_id,
                                              Handoff.status.in_(ACTIVE_STATUSES)).exists()
    waiting = sa.select(OutboundMessage.id).where(OutboundMessage.sender_id == Contact.sender_id,
                                                  OutboundMessage.status.in_(_OUTBOUND_WAITING)).exists()
    pending = sa.select(InboundMessage.id).where(InboundMessage.sender_id == Contact.sender_id,
                                                 InboundMessage.status == InboundStatus.PENDING.value).exists()
    return sa.and_(sa.func.coalesce(Contact.last_inbound_at, Contact.created_at) < cutoff,
                   ~active_case, ~waiting, ~pending)


def _apply(session: Session, model, condition: sa.sql.ColumnElement, delete: bool) -> int:
    if delete:
        return session.execute(cases.bulk_delete(model, condition)).rowcount
    return session.execute(sa.select(sa.func.count()).select_from(model).where(condition)).scalar_one()


def _count_case_records(session: Session, case_ids: List[int]) -> Dict[str, int]:
    """What `cases.delete_cases` would delete, without deleting it."""
    if not case_ids:
        return {"cases": 0, "case_consents": 0, "case_records": 0}
    records = sum(session.execute(sa.select(sa.func.count()).select_from(model)
                                  .where(model.handoff_id.in_(case_ids))).scalar_one()
                  for model in cases.CHILDREN)
    consents = session.execute(sa.select(sa.func.count()).select_from(Consent)
                               .where(Consent.handoff_id.in_(case_ids))).scalar_one()
    return {"cases": len(case_ids), "case_consents": consents, "case_records": records}


def _summary(deleted: Dict[str, int]) -> str:
    """The audit row's detail: counts only."""
    return ", ".join(f"{kind} {count}" for kind, count in deleted.items())
