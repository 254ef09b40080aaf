"""Subject access and erasure requests: `python -m bot subject export|erase PHONE`.

Export gathers everything held about the person behind a phone number, on SMS and WhatsApp.
Erase deletes it, except what safeguarding needs: an active case, or a case closed or withdrawn
within ERASURE_HOLD_DAYS, with its consent record, messages and staff records. An active case also
keeps its parent's contact and conversation, so the health visitor acting on it can still read
the conversation and reply. A message that reached us and is not answered yet (it may have come
during the erasure) is kept to be answered, in a new conversation, with its sender's contact.
Each kept record is listed in `erasure_keeps` with its reason and in the command's output. The
erasure and the audit row hold counts and case ids, never the number.

Afterwards, unless a contact was kept, nothing can be sent to the number: its contact is gone,
so neither the bot nor staff can queue a message to it (`outbox.queue_message` needs the
contact), and anything already queued to it is deleted (a row queued in the same instant is
suppressed by the sender, which finds no contact). What is queued to a kept contact is kept and
sent. If the parent texts again, they are a new contact.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any, Collection, Dict, Iterator, List, Optional, Set

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from bot.dashboard import audit
from bot.db.governance import Erasure, ErasureKeep
from bot.db.locks import INBOX, KeyLocks
from bot.db.messaging import Contact, InboundMessage, InboundStatus, OutboundMessage, OutboundStatus
from bot.db.models import Consent, Handoff, utcnow
from bot.db.staff import AuditEntry, CaseNote, CaseReply
from bot.governance import cases, conversations
from bot.governance.identity import Subject, find_subject
from bot.messaging.contacts import as_utc

# How long erasure waits for the inbox worker to finish a message of this parent.
LOCK_WAIT_SECONDS = 30.0


@dataclass
class ErasureReport:
    erasure_id: int
    deleted: Dict[str, int] = field(default_factory=dict)
    kept: List[Dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"erasure_id": self.erasure_id, "deleted": self.deleted, "kept": self.kept}


def keep_reason(case: Handoff, now: dt.datetime, hold_days: int) -> Optional[str]:
    """Why an erasure must keep this case, or None if it may go."""
    if cases.is_active(case):
        return (f"case {case.id} is {case.status}: a consented safeguarding referral a health "
                "visitor is acting on")
    ended = as_utc(case.closed_at or case.updated_at)
    until = ended + dt.timedelta(days=hold_days)
    if now < until:
        return (f"case {case.id} was {case.status} on {ended.date()}: kept for safeguarding "
                f"follow-up until {until.date()} (ERASURE_HOLD_DAYS={hold_days})")
    return None


def export(sessions: sessionmaker, tracker_store_url: str, phone: str, secret: bytes) -> Dict[str, Any]:
    """Everything held about the person with this number, as JSON-ready data; audited."""
    with sessions.begin() as session:
        subject = find_subject(session, phone, secret)
        held = _held(session, subject)
        audit.record(session, audit.Action.SUBJECT_EXPORTED,
                     detail=f"subject access: {len(held['cases'])} case(s) exported")
    held["conversation_events"] = conversations.export(tracker_store_url, subject.sender_ids)
    return {"phone": subject.phone, "sender_ids": sorted(subject.sender_ids), **held}


def erase(sessions: sessionmaker, tracker_store_url: str, phone: str, secret: bytes, hold_days: int,
          now: Optional[dt.datetime] = None) -> ErasureReport:
    """Delete everything held about this number but the safeguarding keeps; returns what was done."""
    now = now or utcnow()
    with sessions() as session:
        subject = find_subject(session, phone, secret)
    with _inbox_paused(sessions, subject):
        with sessions() as session:
            reachable = cases.senders_with_active_cases(session, subject.sender_ids)
        # Conversations first, in their own transaction (on the default setup the tracker store
        # is the same SQLite file, which cannot take two writers at once).
        events = conversations.delete(tracker_store_url, subject.sender_ids - reachable)
        with sessions.begin() as session:
            report = _erase_records(session, subject, hold_days, now, reachable)
            report.deleted = {"conversation_events": events, **report.deleted}
            session.get(Erasure, report.erasure_id).deleted = dict(report.deleted)
            audit.record(session, audit.Action.SUBJECT_ERASED, now=now, detail=_audit_detail(report))
    return report


def _audit_detail(report: ErasureReport) -> str:
    """Counts and case ids only."""
    kept_cases = sorted({k["record_id"] for k in report.kept if k["record"] == "case"})
    pending = sum(1 for k in report.kept if k["record"] == "pending_message")
    return (f"erasure {report.erasure_id}: {sum(report.deleted.values())} rows deleted; "
            f"kept for safeguarding: {', '.join(f'case {i}' for i in kept_cases) or 'nothing'}; "
            f"kept to be answered: {pending} message(s)")


def _erase_records(session: Session, subject: Subject, hold_days: int, now: dt.datetime,
                   conversations_kept: Collection[str]) -> ErasureReport:
    ids, addresses = list(subject.sender_ids), list(subject.addresses)
    erasure = Erasure(at=now, deleted={})
    session.add(erasure)
    session.flush()
    report = ErasureReport(erasure.id)
    doomed: List[int] = []
    keep_contacts: Set[str] = set()
    for case in session.execute(sa.select(Handoff).where(Handoff.sender_id.in_(ids))).scalars():
        reason = keep_reason(case, now, hold_days)
        if reason is None:
            doomed.append(case.id)
            continue
        report.kept.append(_keep(session, erasure.id, "case", case.id, reason))
        for consent in case.consents:
            report.kept.append(_keep(session, erasure.id, "consent", consent.id,
                                     f"consent record of case {case.id}, kept with it"))
        if cases.is_active(case):
            keep_contacts.add(case.sender_id)
            report.kept.extend(_keep_reachable(session, erasure.id, case, case.sender_id in conversations_kept))
    report.deleted.update(cases.delete_cases(session, doomed))
    keep_contacts |= _keep_pending(session, erasure.id, ids, report.kept)
    unsent = _keep_unsent(session, erasure.id, keep_contacts, report.kept)
    deletions = {
        "declined_offers": (Consent, sa.and_(Consent.sender_id.in_(ids), Consent.handoff_id.is_(None))),
        "outbound_messages": (OutboundMessage, sa.and_(
            sa.or_(OutboundMessage.sender_id.in_(ids), OutboundMessage.to_address.in_(addresses)),
            OutboundMessage.id.notin_(unsent))),
        "inbound_messages": (InboundMessage, sa.and_(InboundMessage.sender_id.in_(ids),
                                                     InboundMessage.status != InboundStatus.PENDING.value)),
        "contacts": (Contact, sa.and_(sa.or_(Contact.sender_id.in_(ids), Contact.address.in_(addresses)),
                                      Contact.sender_id.notin_(sorted(keep_contacts)))),
    }
    for kind, (model, condition) in deletions.items():
        report.deleted[kind] = session.execute(cases.bulk_delete(model, condition)).rowcount
    return report


def _keep_reachable(session: Session, erasure_id: int, case: Handoff, conversation_kept: bool) -> List[Dict[str, Any]]:
    """An active case's parent stays reachable: the case page reads their number from the contact
    and shows their conversation. Both are keyed by pseudonym, so a keep names them by case id.
    The conversation was kept unless the case became active after it was deleted."""
    why = f"of the parent of case {case.id} ({case.status}): the health visitor reads it and replies"
    keeps = [_keep(session, erasure_id, "case_contact", case.id, f"contact (number) {why}")]
    if conversation_kept:
        keeps.append(_keep(session, erasure_id, "case_conversation", case.id, f"conversation {why}"))
    return keeps


def _keep_pending(session: Session, erasure_id: int, sender_ids: List[str], kept: List[Dict[str, Any]]) -> Set[str]:
    """Keep the messages that reached us and are not answered yet (one may have arrived during
    the erasure; a message that reached us is never dropped), each with its sender's contact,
    which its reply needs; appends to `kept` and returns those senders."""
    pending = session.execute(sa.select(InboundMessage.id, InboundMessage.sender_id).where(
        InboundMessage.sender_id.in_(sender_ids), InboundMessage.status == InboundStatus.PENDING.value)
        .order_by(InboundMessage.id)).all()
    senders: Set[str] = set()
    for message_id, sender_id in pending:
        kept.append(_keep(session, erasure_id, "pending_message", message_id,
                          "not answered yet: left for the bot to answer, in a new conversation"))
        if sender_id not in senders:
            senders.add(sender_id)
            kept.append(_keep(session, erasure_id, "pending_message_contact", message_id,
                              f"contact (number) of the sender of message {message_id}: its reply needs it"))
    return senders


def _keep_unsent(session: Session, erasure_id: int, kept_contacts: Set[str], kept: List[Dict[str, Any]]) -> List[int]:
    """Keep the messages still to be sent to a contact that stays (a health visitor's reply on an
    active case, queued a moment before the erasure, is exactly what the case is kept for); appends
    to `kept` and returns their ids. What is queued to a contact that goes is deleted with it."""
    waiting = (OutboundStatus.QUEUED.value, OutboundStatus.SENDING.value)
    ids = session.execute(sa.select(OutboundMessage.id).where(
        OutboundMessage.sender_id.in_(sorted(kept_contacts)), OutboundMessage.status.in_(waiting))
        .order_by(OutboundMessage.id)).scalars().all()
    for message_id in ids:
        kept.append(_keep(session, erasure_id, "unsent_message", message_id,
                          "not sent yet, to a contact kept above: left for the sender to send"))
    return ids


def _keep(session: Session, erasure_id: int, record: str, record_id: int, reason: str) -> Dict[str, Any]:
    session.add(ErasureKeep(erasure_id=erasure_id, record=record, record_id=record_id, reason=reason[:255]))
    return {"record": record, "record_id": record_id, "reason": reason}


@contextlib.contextmanager
def _inbox_paused(sessions: sessionmaker, subject: Subject) -> Iterator[None]:
    """Hold the inbox worker's per-parent locks, so no message of this parent is being answered,
    its events written back, while their records are deleted.

    This command runs in its own process; the locks (`bot.db.locks`: advisory locks on PostgreSQL,
    record locks on a file beside the database on SQLite) exclude across processes, so the running
    bot leaves the parent's messages pending meanwhile (they are kept, `_keep_pending`) and answers
    them afterwards, in a new conversation."""
    locks = KeyLocks(sessions.kw["bind"], INBOX)
    try:
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        for sender_id in sorted(subject.sender_ids):
            while not locks.try_acquire(sender_id):
                if time.monotonic() > deadline:
                    raise TimeoutError("a message of this parent is still being answered; try again")
                time.sleep(0.2)
        yield
    finally:
        locks.close()


def _held(session: Session, subject: Subject) -> Dict[str, Any]:
    """The application database's records about the subject (the tracker store is read apart)."""
    ids, addresses = list(subject.sender_ids), list(subject.addresses)
    found_cases = list(session.execute(sa.select(Handoff).where(Handoff.sender_id.in_(ids))
                                       .order_by(Handoff.id)).scalars())
    return {
        "contacts": _rows(session, sa.select(Contact).where(Contact.sender_id.in_(ids))),
        "inbound_messages": _rows(session, sa.select(InboundMessage).where(InboundMessage.sender_id.in_(ids))
                                  .order_by(InboundMessage.id)),
        "outbound_messages": _rows(session, sa.select(OutboundMessage).where(sa.or_(
            OutboundMessage.sender_id.in_(ids), OutboundMessage.to_address.in_(addresses)))
            .order_by(OutboundMessage.id)),
        "cases": [_case(session, case) for case in found_cases],
        "declined_offers": _rows(session, sa.select(Consent).where(
            Consent.sender_id.in_(ids), Consent.handoff_id.is_(None)).order_by(Consent.id)),
        "kept_after_erasure": _rows(session, sa.select(ErasureKeep).where(
            ErasureKeep.record == "case", ErasureKeep.record_id.in_([c.id for c in found_cases]))),
    }


def _case(session: Session, case: Handoff) -> Dict[str, Any]:
    """A case with its consent records, messages, staff notes and replies, and when it was touched
    (the audit log's times and actions; the staff's identities are theirs, not the subject's)."""
    data = _as_dict(case)
    data["messages_while_paused"] = [_as_dict(m) for m in case.messages]
    for key, model in (("consents", Consent), ("staff_notes", CaseNote), ("staff_replies", CaseReply)):
        data[key] = _rows(session, sa.select(model).where(model.handoff_id == case.id).order_by(model.id),
                          leave_out=("staff_id",))
    data["audit"] = [{"at": _iso(at), "action": action} for at, action in session.execute(
        sa.select(AuditEntry.at, AuditEntry.action).where(AuditEntry.case_id == case.id).order_by(AuditEntry.id))]
    return data


def _rows(session: Session, query: sa.sql.Select, leave_out: tuple = ()) -> List[Dict[str, Any]]:
    return [_as_dict(row, leave_out) for row in session.execute(query).scalars()]


def _as_dict(row: Any, leave_out: tuple = ()) -> Dict[str, Any]:
    return {column.key: _iso(getattr(row, column.key)) for column in sa.inspect(row).mapper.column_attrs
            if column.key not in leave_out}


def _iso(value: Any) -> Any:
    return as_utc(value).isoformat() if isinstance(value, dt.datetime) else value
