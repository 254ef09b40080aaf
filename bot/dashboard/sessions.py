"""Server-side sessions: the cookie carries a random token, the database decides whether it is valid.

So logout, the idle timeout and disabling an account take effect on the server at once, and a
token is never reused across a sign-in: each stage (password, then TOTP) gets a fresh one.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Optional, Tuple

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from bot.dashboard.accounts import as_utc
from bot.db.models import utcnow
from bot.db.staff import Staff, StaffSession

STAGE_MFA = "mfa"
STAGE_ACTIVE = "active"
# However active, a session ends after a working day and a bit.
MAX_AGE = dt.timedelta(hours=12)


@dataclass(frozen=True)
class Current:
    """The signed-in person and their session, as one request sees them."""

    token: str
    record: StaffSession
    staff: Staff


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionStore:
    def __init__(self, sessions: sessionmaker, idle_minutes: int) -> None:
        self.sessions = sessions
        self.idle = dt.timedelta(minutes=idle_minutes)

    def start(self, staff_id: int, stage: str, ip: Optional[str],
              now: Optional[dt.datetime] = None) -> Tuple[str, StaffSession]:
        now = now or utcnow()
        token = secrets.token_urlsafe(32)
        record = StaffSession(token_hash=_hash(token), staff_id=staff_id, stage=stage,
                              csrf_token=secrets.token_urlsafe(32), ip=ip,
                              created_at=now, last_seen_at=now)
        with self.sessions.begin() as session:
            session.add(record)
        return token, record

    def load(self, token: Optional[str], now: Optional[dt.datetime] = None,
             touch: bool = True) -> Optional[Current]:
        """The live session for this cookie, or None. `touch=False` reads without counting as
        activity (the queue's automatic refresh must not keep an unattended screen signed in)."""
        if not token:
            return None
        now = now or utcnow()
        with self.sessions.begin() as session:
            row = session.execute(
                sa.select(StaffSession, Staff).join(Staff, Staff.id == StaffSession.staff_id)
                .where(StaffSession.token_hash == _hash(token))
            ).first()
            if row is None:
                return None
            record, staff = row
            if record.ended_at is not None:
                return None
            if (staff.disabled or now - as_utc(record.last_seen_at) > self.idle
                    or now - as_utc(record.created_at) > MAX_AGE):
                record.ended_at = now
                return None
            if touch:
                record.last_seen_at = now
            return Current(token, record, staff)

    def end(self, token: str, now: Optional[dt.datetime] = None) -> None:
        with self.sessions.begin() as session:
            session.execute(
                sa.update(StaffSession)
                .where(StaffSession.token_hash == _hash(token), StaffSession.ended_at.is_(None))
                .values(ended_at=now or utcnow())
            )

    def replace(self, current: Current, stage: str, ip: Optional[str]) -> Tuple[str, StaffSession]:
        """End this session and start a new one for the same person: a fresh token on every
        change of privilege, so a token seen before sign-in is worth nothing after it."""
        self.end(current.token)
        return self.start(current.staff.id, stage, ip)

    def set_pending_secret(self, token: str, secret: str) -> None:
        with self.sessions.begin() as session:
            session.execute(sa.update(StaffSession).where(StaffSession.token_hash == _hash(token))
                            .values(pending_totp_secret=secret))
