"""The queue: a team's cases in the order a health visitor should pick them up.

Emergencies first; within a level, unclaimed before claimed, then the case that has used most of
its target time (waited / target), then the higher multi-signal priority.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Dict, List, Optional

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from bot.config import Settings
from bot.dashboard.accounts import as_utc
from bot.db.models import ACTIVE_STATUSES, CaseStatus, Handoff
from bot.db.staff import CaseAssignment, Staff
from bot.risk.categories import RISK_CATEGORIES, Level

STATUS_FILTERS = ("active", "open", "claimed", "closed", "withdrawn")
CATEGORY_FILTERS = tuple(c.value for c in RISK_CATEGORIES)
# Closed and withdrawn cases are history; the newest are enough to find one again.
HISTORY_LIMIT = 200
LEVEL_RANK = {Level.EMERGENCY.value: 0, Level.HIGH.value: 1}


def targets(settings: Settings) -> Dict[str, dt.timedelta]:
    return {Level.EMERGENCY.value: dt.timedelta(minutes=settings.target_minutes_emergency),
            Level.HIGH.value: dt.timedelta(minutes=settings.target_minutes_high)}


@dataclass(frozen=True)
class QueueRow:
    case: Handoff
    assignee: Optional[str]
    claimed_at: Optional[dt.datetime]
    waited: dt.timedelta
    target: dt.timedelta

    @property
    def overdue(self) -> bool:
        """Not picked up within the target (a case claimed in time is never overdue)."""
        return self.waited > self.target

    @property
    def share_of_target(self) -> float:
        return self.waited / self.target

    @property
    def consent(self) -> str:
        return "withdrawn" if self.case.status == CaseStatus.WITHDRAWN.value else "given"


def waiting(case: Handoff, claimed_at: Optional[dt.datetime], now: dt.datetime) -> dt.timedelta:
    """From consent until someone claimed it (or until now, or until it ended)."""
    end = claimed_at or as_utc(case.closed_at) or now
    if case.status == CaseStatus.WITHDRAWN.value and not claimed_at:
        end = as_utc(case.updated_at)
    return max(end - as_utc(case.consented_at), dt.timedelta(0))


def sort_key(row: QueueRow) -> tuple:
    return (LEVEL_RANK.get(row.case.level, 2), row.case.status != CaseStatus.OPEN.value,
            -row.share_of_target, -row.case.priority, row.case.id)


def load_queue(sessions: sessionmaker, settings: Settings, team: str, now: dt.datetime,
               status: str = "active", category: str = "") -> List[QueueRow]:
    query = (sa.select(Handoff, CaseAssignment.claimed_at, Staff.email)
             .outerjoin(CaseAssignment, CaseAssignment.handoff_id == Handoff.id)
             .outerjoin(Staff, Staff.id == CaseAssignment.staff_id)
             .where(Handoff.team == team))
    if status == "active":
        query = query.where(Handoff.status.in_(ACTIVE_STATUSES))
    else:
        query = query.where(Handoff.status == status)
        if status in (CaseStatus.CLOSED.value, CaseStatus.WITHDRAWN.value):
            query = query.order_by(Handoff.updated_at.desc()).limit(HISTORY_LIMIT)
    if category:
        query = query.where(Handoff.category == category)
    level_targets = targets(settings)
    with sessions() as session:
        rows = [
            QueueRow(case, email, as_utc(claimed_at), waiting(case, as_utc(claimed_at), now),
                     level_targets.get(case.level, level_targets[Level.HIGH.value]))
            for case, claimed_at, email in session.execute(query)
        ]
    return sorted(rows, key=sort_key)
