"""What a health visitor does to a case: read it, claim, unclaim, reassign, note, reply, close.

Every method takes the acting person and their address, and writes the audit row in the same
transaction as the change, so no action can happen without its record. Cases are looked up
within the person's team only: another team's case is "not found", never "forbidden".
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

import sqlalchemy as sa
import yaml
from sqlalchemy.orm import Session, sessionmaker

from bot.dashboard import audit
from bot.dashboard.accounts import as_utc
from bot.dashboard.audit import Action
from bot.dashboard.conversation import Entry, merge, tracker_entries
from bot.dashboard.rasa_client import RasaClient
from bot.db.messaging import Contact, OutboundMessage
from bot.db.models import ACTIVE_STATUSES, CaseStatus, Consent, ConsentDecision, Handoff, utcnow
from bot.db.staff import CaseAssignment, CaseNote, CaseReply, Role, Staff
from bot.handoffs.service import HandoffService
from bot.messaging import outbox
from bot.training.inbox import Inbox

log = logging.getLogger(__name__)

OUTCOMES = {
    "advice_given": "Advice given",
    "referred_midwife": "Referred to midwife",
    "referred_gp": "Referred to GP",
    "referred_social_care": "Referred to social care",
    "referred_police": "Referred to police",
    "no_further_action": "No further action",
    "could_not_contact": "Could not contact",
}
CLOSING_RESPONSE = "utter_case_closed_resumed"
NOTE_MAX_CHARS = 4000
REPLY_MAX_CHARS = 1000


class CaseNotFound(LookupError):
    """No such case in this person's team."""


class CaseRefused(ValueError):
    """The action does not apply to the case as it is now; the message says why."""


@dataclass(frozen=True)
class Actor:
    staff: Staff
    ip: Optional[str]


@dataclass(frozen=True)
class CaseView:
    case: Handoff
    consents: List[Consent]
    assignee: Optional[Staff]
    notes: List[tuple]
    conversation: List[Entry]
    phone: Optional[str]
    withdrawn_at: Optional[dt.datetime]

    @property
    def active(self) -> bool:
        return self.case.status in ACTIVE_STATUSES


def closing_message(project_root: Path) -> str:
    """What the parent is told when their case closes: the bot's own response, so the wording is
    checked with every other response (length, reading age)."""
    domain = yaml.safe_load((project_root / "domain.yml").read_text())
    return domain["responses"][CLOSING_RESPONSE][0]["text"]


class CaseWork:
    def __init__(self, sessions: sessionmaker, tracker_store_url: str, rasa: RasaClient,
                 closing_text: str) -> None:
        self.sessions = sessions
        self.tracker_store_url = tracker_store_url
        self.rasa = rasa
        self.closing_text = closing_text
        self.handoffs = HandoffService(sessions)

    # --- reading ----------------------------------------------------------------------------

    def view(self, case_id: int, actor: Actor, action: Action = Action.CASE_VIEWED) -> CaseView:
        """Everything the case page shows; writes the audit row for the view (or export)."""
        with self.sessions.begin() as session:
            case = self._case(session, case_id, actor)
            audit.record(session, action, staff=actor.staff, case_id=case.id, ip=actor.ip)
            consents = list(case.consents)
            assignee = session.execute(
                sa.select(Staff).join(CaseAssignment, CaseAssignment.staff_id == Staff.id)
                .where(CaseAssignment.handoff_id == case.id)).scalar_one_or_none()
            notes = session.execute(
                sa.select(CaseNote, Staff.email).join(Staff, Staff.id == CaseNote.staff_id)
                .where(CaseNote.handoff_id == case.id).order_by(CaseNote.id)).all()
            replies = session.execute(
                sa.select(CaseReply, Staff.email, OutboundMessage.status)
                .join(Staff, Staff.id == CaseReply.staff_id)
                .outerjoin(OutboundMessage, OutboundMessage.id == CaseReply.outbound_id)
                .where(CaseReply.handoff_id == case.id).order_by(CaseReply.id)).all()
            contact = session.get(Contact, case.sender_id)
        withdrawn_at = next((as_utc(c.created_at) for c in consents
                             if c.decision == ConsentDecision.WITHDRAWN.value), None)
        staff_entries = [Entry(as_utc(r.created_at), "staff", r.text, author=_reply_author(email, status))
                         for r, email, status in replies]
        conversation = merge(tracker_entries(self.tracker_store_url, case.sender_id), staff_entries,
                             paused_from=as_utc(case.consented_at),
                             paused_until=as_utc(case.closed_at) or withdrawn_at,
                             shared_until=withdrawn_at)
        return CaseView(case, consents, assignee, [(n, email) for n, email in notes], conversation,
                        contact.address if contact else None, withdrawn_at)

    # --- holding a case ---------------------------------------------------------------------

    def claim(self, case_id: int, actor: Actor) -> None:
        self._assign(case_id, actor, actor.staff.id, Action.CASE_CLAIMED)

    def reassign(self, case_id: int, actor: Actor, to_staff_id: int) -> None:
        self._assign(case_id, actor, to_staff_id, Action.CASE_REASSIGNED)

    def unclaim(self, case_id: int, actor: Actor) -> None:
        with self.sessions.begin() as session:
            case = self._active(session, case_id, actor)
            session.execute(sa.delete(CaseAssignment).where(CaseAssignment.handoff_id == case.id))
            case.status, case.updated_at = CaseStatus.OPEN.value, utcnow()
            audit.record(session, Action.CASE_UNCLAIMED, staff=actor.staff, case_id=case.id, ip=actor.ip)

    def _assign(self, case_id: int, actor: Actor, to_staff_id: int, action: Action) -> None:
        with self.sessions.begin() as session:
            case = self._active(session, case_id, actor)
            holder = session.get(Staff, to_staff_id)
            if (holder is None or holder.disabled or holder.team != case.team
                    or holder.role != Role.HEALTH_VISITOR.value):
                raise CaseRefused("A case can only go to an active health visitor in its team.")
            now = utcnow()
            assignment = session.get(CaseAssignment, case.id)
            if assignment is None:
                session.add(CaseAssignment(handoff_id=case.id, staff_id=holder.id, claimed_at=now))
            else:
                assignment.staff_id = holder.id
            case.status, case.updated_at = CaseStatus.CLAIMED.value, now
            audit.record(session, action, staff=actor.staff, case_id=case.id, ip=actor.ip,
                         detail=f"to staff {holder.id}")
        log.info("case %s %s by staff %s", case.id, action.value, actor.staff.id)

    # --- notes and replies ------------------------------------------------------------------

    def add_note(self, case_id: int, actor: Actor, text: str) -> None:
        text = _bounded(text, NOTE_MAX_CHARS, "A note")
        with self.sessions.begin() as session:
            case = self._case(session, case_id, actor)
            session.add(CaseNote(handoff_id=case.id, staff_id=actor.staff.id, text=text,
                                 created_at=utcnow()))
            audit.record(session, Action.NOTE_ADDED, staff=actor.staff, case_id=case.id, ip=actor.ip)

    # --- telling the trainers ---------------------------------------------------------------

    def flag_false_alarm(self, case_id: int, actor: Actor) -> None:
        """The risk was not real: the messages that raised it go to the trainers' inbox, redacted."""
        with self.sessions.begin() as session:
            case = self._case(session, case_id, actor)
            texts = [m.get("text", "") for m in case.trigger_messages or []]
            Inbox.add_flagged(session, texts, "false_alarm", case.category)
            audit.record(session, Action.CASE_FLAGGED_FALSE_ALARM, staff=actor.staff, case_id=case.id,
                         ip=actor.ip)

    def flag_missed_risk(self, case_id: int, actor: Actor, message: str) -> None:
        """The bot missed a risk in one of the parent's messages (`message` is its position among
        the parent's messages on the case page); a redacted copy goes to the trainers' inbox."""
        with self.sessions.begin() as session:
            case = self._case(session, case_id, actor)
            withdrawn = next((as_utc(c.created_at) for c in case.consents
                              if c.decision == ConsentDecision.WITHDRAWN.value), None)
            said = [e.text for e in tracker_entries(self.tracker_store_url, case.sender_id)
                    if e.side == "parent" and (withdrawn is None or e.at <= withdrawn)]
            if not message.isdigit() or int(message) >= len(said):
                raise CaseRefused("Choose one of the parent's messages.")
            Inbox.add_flagged(session, [said[int(message)]], "missed_risk", None)
            audit.record(session, Action.CASE_FLAGGED_MISSED_RISK, staff=actor.staff, case_id=case.id,
                         ip=actor.ip)

    def reply(self, case_id: int, actor: Actor, text: str) -> None:
        """Queue a message to the parent through the outbox (SMS or WhatsApp, with the approved
        template outside WhatsApp's 24 hours); it commits with its record and audit row."""
        text = _bounded(text, REPLY_MAX_CHARS, "A reply")
        with self.sessions.begin() as session:
            case = self._active(session, case_id, actor)
            self._send(session, case, actor, text, "reply")
            audit.record(session, Action.REPLY_SENT, staff=actor.staff, case_id=case.id, ip=actor.ip)
        log.info("reply queued on case %s by staff %s", case.id, actor.staff.id)

    # --- closing ----------------------------------------------------------------------------

    def close(self, case_id: int, actor: Actor, outcome: str) -> None:
        """Close with an outcome, tell the parent, and resume the bot for them."""
        if outcome not in OUTCOMES:
            raise CaseRefused("Choose an outcome.")
        with self.sessions.begin() as session:
            case = self._active(session, case_id, actor)
            sender_id = case.sender_id
        self.handoffs.close(case.id, outcome)
        with self.sessions.begin() as session:
            session.execute(sa.delete(CaseAssignment).where(CaseAssignment.handoff_id == case.id))
            told = self._send(session, case, actor, self.closing_text, "closing", required=False)
            audit.record(session, Action.CASE_CLOSED, staff=actor.staff, case_id=case.id, ip=actor.ip,
                         detail=outcome)
        if told:
            self.rasa.resume_bot(sender_id, case.id)
        # Otherwise (a REST conversation: nothing can be pushed to it) the pause stays on, so the
        # parent's next message finds the case closed and the bot tells them before answering again.
        log.info("case %s closed by staff %s: %s", case.id, actor.staff.id, outcome)

    # --- internals --------------------------------------------------------------------------

    def _send(self, session: Session, case: Handoff, actor: Actor, text: str, kind: str,
              required: bool = True) -> bool:
        """Queue `text` to the parent and record it on the case; False if it cannot reach them."""
        try:
            rows = outbox.queue_message(session, case.sender_id, text, origin="staff")
        except LookupError:
            if required:
                raise CaseRefused("This parent did not write by SMS or WhatsApp, so a reply cannot "
                                  "reach them. Contact them another way and add a note.") from None
            rows = []  # e.g. a REST conversation: the bot says it on their next message instead
        session.add(CaseReply(handoff_id=case.id, staff_id=actor.staff.id, text=text, kind=kind,
                              outbound_id=rows[0].id if rows else None, created_at=utcnow()))
        return bool(rows)

    @staticmethod
    def _case(session: Session, case_id: int, actor: Actor) -> Handoff:
        case = session.execute(
            sa.select(Handoff).where(Handoff.id == case_id, Handoff.team == actor.staff.team)
        ).scalar_one_or_none()
        if case is None:
            raise CaseNotFound(case_id)
        return case

    def _active(self, session: Session, case_id: int, actor: Actor) -> Handoff:
        case = self._case(session, case_id, actor)
        if case.status not in ACTIVE_STATUSES:
            raise CaseRefused(f"This case is {case.status}; it can no longer be changed.")
        return case


def _bounded(text: str, limit: int, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise CaseRefused(f"{what} cannot be empty.")
    if len(text) > limit:
        raise CaseRefused(f"{what} can be at most {limit} characters.")
    return text


def _reply_author(email: str, status: Optional[str]) -> str:
    return f"{email} ({status or 'not sent by SMS/WhatsApp'})"
