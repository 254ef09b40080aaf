"""Every change to a case, each in its own transaction, committed before the parent is told.

The action server calls these after a parent answers a consent question. The commit happens before
the confirmation reply is returned to Rasa, so if any process dies after the parent said "yes", the
case already exists; a repeated "yes" for the same offer finds it instead of making a second one.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from bot.config import get_settings
from bot.db.models import (
    ACTIVE_STATUSES,
    CaseMessage,
    CaseStatus,
    Consent,
    ConsentDecision,
    Handoff,
    utcnow,
)
from bot.db.session import session_factory


@dataclass(frozen=True)
class Offer:
    """What the parent was asked to agree to, captured when the question was sent."""

    offer_id: str
    sender_id: str
    channel: str
    category: str
    level: str
    matched: Optional[str]
    wording_version: str
    wording_text: str
    categories: List[str] = field(default_factory=list)
    priority: int = 0
    trigger_messages: List[Dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "Offer":
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})

    def as_dict(self) -> Dict[str, Any]:
        return asdict(self)


class HandoffService:
    def __init__(self, sessions: sessionmaker) -> None:
        self.sessions = sessions

    def accept(self, offer: Offer, now: Optional[dt.datetime] = None) -> Handoff:
        """Create the case and its consent record together; idempotent per offer."""
        now = now or utcnow()
        try:
            with self.sessions.begin() as session:
                case = Handoff(
                    offer_id=offer.offer_id, sender_id=offer.sender_id, channel=offer.channel,
                    category=offer.category, level=offer.level, matched=offer.matched,
                    categories=list(offer.categories or [offer.category]), priority=offer.priority,
                    trigger_messages=list(offer.trigger_messages), status=CaseStatus.OPEN.value,
                    created_at=now, consented_at=now, updated_at=now,
                )
                session.add(case)
                session.add(Consent(
                    sender_id=offer.sender_id, handoff=case, decision=ConsentDecision.GIVEN.value,
                    category=offer.category, wording_version=offer.wording_version,
                    wording_text=offer.wording_text, created_at=now,
                ))
            return case
        except IntegrityError:
            return self.by_offer(offer.offer_id)

    def decline(self, offer: Offer, now: Optional[dt.datetime] = None) -> None:
        """Record that an offer was declined: the category and time, never what the parent wrote."""
        with self.sessions.begin() as session:
            session.add(Consent(
                sender_id=offer.sender_id, decision=ConsentDecision.DECLINED.value,
                category=offer.category, wording_version=offer.wording_version,
                wording_text=offer.wording_text, created_at=now or utcnow(),
            ))

    def withdraw(self, sender_id: str, now: Optional[dt.datetime] = None) -> Optional[Handoff]:
        """Withdraw consent on the parent's active case, if there is one."""
        now = now or utcnow()
        with self.sessions.begin() as session:
            case = self._active_case(session, sender_id)
            if case is None:
                return None
            case.status = CaseStatus.WITHDRAWN.value
            case.updated_at = now
            given = case.consents[0]
            session.add(Consent(
                sender_id=sender_id, handoff=case, decision=ConsentDecision.WITHDRAWN.value,
                category=case.category, wording_version=given.wording_version,
                wording_text=given.wording_text, created_at=now,
            ))
            return case

    def record_message(self, sender_id: str, text: str, risk_category: Optional[str] = None,
                       now: Optional[dt.datetime] = None) -> Optional[Handoff]:
        """Keep a message against the parent's active case; None if no case is active any more."""
        with self.sessions.begin() as session:
            case = self._active_case(session, sender_id)
            if case is None:
                return None
            session.add(CaseMessage(handoff=case, text=text, risk_category=risk_category,
                                    received_at=now or utcnow()))
            return case

    def close(self, case_id: int, outcome: str, now: Optional[dt.datetime] = None) -> Handoff:
        """Close a case with an outcome; the parent's next message resumes the bot."""
        now = now or utcnow()
        with self.sessions.begin() as session:
            case = session.get(Handoff, case_id)
            if case is None:
                raise LookupError(f"no case {case_id}")
            case.status, case.outcome = CaseStatus.CLOSED.value, outcome
            case.closed_at = case.updated_at = now
            return case

    def active_case(self, sender_id: str) -> Optional[Handoff]:
        with self.sessions() as session:
            return self._active_case(session, sender_id)

    def by_offer(self, offer_id: str) -> Handoff:
        with self.sessions() as session:
            return session.execute(
                sa.select(Handoff).where(Handoff.offer_id == offer_id)
            ).scalar_one()

    def all_cases(self) -> List[Handoff]:
        with self.sessions() as session:
            return list(session.execute(sa.select(Handoff).order_by(Handoff.id)).scalars())

    def consents(self, sender_id: str) -> List[Consent]:
        with self.sessions() as session:
            return list(session.execute(
                sa.select(Consent).where(Consent.sender_id == sender_id).order_by(Consent.id)
            ).scalars())

    def case_messages(self, case_id: int) -> List[CaseMessage]:
        with self.sessions() as session:
            return list(session.execute(
                sa.select(CaseMessage).where(CaseMessage.handoff_id == case_id).order_by(CaseMessage.id)
            ).scalars())

    @staticmethod
    def _active_case(session: Any, sender_id: str) -> Optional[Handoff]:
        return session.execute(
            sa.select(Handoff)
            .where(Handoff.sender_id == sender_id, Handoff.status.in_(ACTIVE_STATUSES))
            .order_by(Handoff.id.desc())
        ).scalars().first()


def case_summary(case: Handoff) -> Dict[str, Any]:
    """The fields `python -m bot handoffs list --json` prints."""
    return {
        "id": case.id, "sender_id": case.sender_id, "channel": case.channel,
        "category": case.category, "level": case.level, "status": case.status,
        "created_at": case.created_at.isoformat(), "consented_at": case.consented_at.isoformat(),
    }


def handoff_service() -> HandoffService:
    """The service on this process's application database (DATABASE_URL)."""
    return HandoffService(session_factory(get_settings().database_url))
