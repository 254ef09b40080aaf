"""On-call alerts: an SMS to ON_CALL_NUMBER when an emergency or high case arrives, and again if it
is still unclaimed at its target time. The text is the case link only, never the parent's words.

Cases are created by the action server, so the dashboard process finds them with a periodic check
(`AlertWorker`). Each alert is a `case_alerts` row unique per case and kind, committed together with
its outbox message: a restart or a second dashboard process never pages twice for the same reason.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import List, Optional

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from bot.config import Settings
from bot.dashboard import audit
from bot.dashboard.accounts import as_utc
from bot.dashboard.audit import Action
from bot.dashboard.queue import targets
from bot.db.models import CaseStatus, Handoff, utcnow
from bot.db.staff import CaseAlert
from bot.messaging import outbox
from bot.risk.categories import Level

log = logging.getLogger(__name__)
CHECK_EVERY_SECONDS = 30
NEW, OVERDUE = "new", "overdue"
ALERTED_LEVELS = (Level.EMERGENCY.value, Level.HIGH.value)


def alert_text(kind: str, case: Handoff, dashboard_url: str) -> str:
    link = f"{dashboard_url}/cases/{case.id}"
    if kind == NEW:
        return f"Safer Sleep: new {case.level} case for a health visitor. {link}"
    return f"Safer Sleep: {case.level} case still not claimed at its target time. {link}"


def due_alerts(sessions: sessionmaker, settings: Settings, now: dt.datetime) -> List[tuple]:
    """(kind, case) pairs not alerted yet: every new case, and open cases past their target."""
    level_targets = targets(settings)
    sent = sa.select(CaseAlert.id).where(CaseAlert.handoff_id == Handoff.id)
    with sessions() as session:
        new = session.execute(
            sa.select(Handoff).where(Handoff.level.in_(ALERTED_LEVELS),
                                     Handoff.status == CaseStatus.OPEN.value,
                                     ~sent.where(CaseAlert.kind == NEW).exists())
        ).scalars().all()
        waiting = session.execute(
            sa.select(Handoff).where(Handoff.level.in_(ALERTED_LEVELS),
                                     Handoff.status == CaseStatus.OPEN.value,
                                     ~sent.where(CaseAlert.kind == OVERDUE).exists())
        ).scalars().all()
    overdue = [c for c in waiting if now - as_utc(c.consented_at) >= level_targets[c.level]]
    return [(NEW, c) for c in new] + [(OVERDUE, c) for c in overdue]


def send_due_alerts(sessions: sessionmaker, settings: Settings, now: Optional[dt.datetime] = None) -> int:
    """Queue every due alert; returns how many were queued. Does nothing without ON_CALL_NUMBER."""
    if not settings.on_call_number:
        return 0
    queued = 0
    for kind, case in due_alerts(sessions, settings, now or utcnow()):
        try:
            with sessions.begin() as session:
                rows = outbox.queue_to_number(session, settings.on_call_number,
                                              alert_text(kind, case, settings.dashboard_url),
                                              origin="alert")
                session.add(CaseAlert(handoff_id=case.id, kind=kind, outbound_id=rows[0].id,
                                      sent_at=now or utcnow()))
                audit.record(session, Action.ON_CALL_ALERTED, case_id=case.id, detail=kind)
        except IntegrityError:
            continue  # another process alerted for this case first
        queued += 1
        log.info("on-call alert (%s) queued for case %s", kind, case.id)
    return queued


class AlertWorker(threading.Thread):
    """Runs the check every CHECK_EVERY_SECONDS inside the dashboard process until stopped."""

    def __init__(self, sessions: sessionmaker, settings: Settings) -> None:
        super().__init__(name="on-call alerts", daemon=True)
        self.sessions, self.settings = sessions, settings
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                send_due_alerts(self.sessions, self.settings)
            except Exception:  # noqa: BLE001 - a bad moment must not end the alerts for good
                log.exception("on-call alert check failed; trying again in %ss", CHECK_EVERY_SECONDS)
            self.stopped.wait(CHECK_EVERY_SECONDS)
