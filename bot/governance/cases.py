"""Cases as governed records: which are still needed for safeguarding, and deleting one whole.

A case is deleted with everything hanging off it (consent records, messages kept while paused,
staff notes and replies, on-call alerts, the assignment), so nothing is left pointing at a case
that no longer exists. Audit rows that name it stay: they hold no message text.
"""
from __future__ import annotations

import datetime as dt
from typing import Collection, Dict, List

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.db.models import ACTIVE_STATUSES, CaseMessage, Consent, Handoff
from bot.db.staff import CaseAlert, CaseAssignment, CaseNote, CaseReply

# When a closed or withdrawn case ended: withdrawal sets no closed_at, only updated_at.
ENDED_AT = sa.func.coalesce(Handoff.closed_at, Handoff.updated_at)
CHILDREN = (CaseMessage, CaseNote, CaseReply, CaseAlert, CaseAssignment)


def is_active(case: Handoff) -> bool:
    return case.status in ACTIVE_STATUSES


def senders_with_cases_needed(session: Session, ended_after: dt.datetime) -> set:
    """Sender ids with an active case, or one closed or withdrawn after `ended_after`."""
    query = sa.select(Handoff.sender_id).where(
        sa.or_(Handoff.status.in_(ACTIVE_STATUSES), ENDED_AT >= ended_after)).distinct()
    return set(session.execute(query).scalars())


def senders_with_active_cases(session: Session, sender_ids: Collection[str]) -> set:
    """Those of these sender ids with an open or claimed case."""
    query = sa.select(Handoff.sender_id).where(
        Handoff.sender_id.in_(list(sender_ids)), Handoff.status.in_(ACTIVE_STATUSES)).distinct()
    return set(session.execute(query).scalars())


def ended_before(session: Session, cutoff: dt.datetime) -> List[int]:
    """Ids of closed or withdrawn cases that ended before `cutoff`; never an active case."""
    return list(session.execute(sa.select(Handoff.id).where(
        Handoff.status.notin_(ACTIVE_STATUSES), ENDED_AT < cutoff).order_by(Handoff.id)).scalars())


def delete_cases(session: Session, case_ids: Collection[int]) -> Dict[str, int]:
    """Delete these cases and every record that belongs to them; counts per kind."""
    ids = list(case_ids)
    if not ids:
        return {"cases": 0, "case_consents": 0, "case_records": 0}
    records = sum(session.execute(bulk_delete(model, model.handoff_id.in_(ids))).rowcount
                  for model in CHILDREN)
    consents = session.execute(bulk_delete(Consent, Consent.handoff_id.in_(ids))).rowcount
    cases = session.execute(bulk_delete(Handoff, Handoff.id.in_(ids))).rowcount
    return {"cases": cases, "case_consents": consents, "case_records": records}


def bulk_delete(model, condition) -> sa.sql.Delete:
    """A bulk DELETE that does not try to update objects in the session (none are loaded)."""
    return sa.delete(model).where(condition).execution_options(synchronize_session=False)
