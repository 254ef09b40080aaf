"""Staff accounts: creation, passwords (argon2id), TOTP, and slowing down then locking out guessing.

Every sign-in decision is made here, so the web layer only shows the outcome. Failures of the
password and of the TOTP code count together: a stolen password alone buys no more guesses at
the code than at the password.
"""
from __future__ import annotations

import datetime as dt
import enum
import hmac
from dataclasses import dataclass
from typing import List, Optional

import pyotp
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from bot.db.models import utcnow
from bot.db.staff import DEFAULT_TEAM, Role, Staff

PASSWORD_MIN_LENGTH = 12
# After this many failures in a row each further attempt must wait, doubling from one second…
THROTTLE_AFTER = 3
# …and after this many the account is locked for LOCK_MINUTES.
LOCK_AFTER = 10
LOCK_MINUTES = 30
TOTP_STEP_SECONDS = 30

# argon2-cffi's defaults are argon2id with RFC 9106's low-memory profile.
_hasher = PasswordHasher()
# Verified against when the email is unknown, so a wrong email costs as long as a wrong password.
_UNKNOWN_ACCOUNT_HASH = _hasher.hash("not a real password, only spends the same time")


class AccountError(ValueError):
    """A request the account rules refuse, with a message fit to show the person."""


class SignIn(str, enum.Enum):
    OK = "ok"
    WRONG = "wrong"        # wrong email or password (never says which)
    WAIT = "wait"          # too many recent failures: this attempt was not even checked
    LOCKED = "locked"


@dataclass(frozen=True)
class SignInResult:
    """The outcome, and the account it concerned if there is one (for the audit log only: the
    person is never told whether an email has an account)."""

    outcome: SignIn
    staff: Optional[Staff] = None


def as_utc(moment: Optional[dt.datetime]) -> Optional[dt.datetime]:
    """SQLite returns stored times without their zone; they were written in UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=dt.timezone.utc)
    return moment


def check_password_rules(password: str) -> None:
    if len(password) < PASSWORD_MIN_LENGTH:
        raise AccountError(f"A password needs at least {PASSWORD_MIN_LENGTH} characters.")


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise AccountError(f"{email!r} is not an email address.")
    return email


class Accounts:
    def __init__(self, sessions: sessionmaker) -> None:
        self.sessions = sessions

    # --- the command line -------------------------------------------------------------------

    def add(self, email: str, role: str, password: str, *, team: str = DEFAULT_TEAM,
            mfa_required: bool = True, bot_env: str = "development") -> Staff:
        """Create an account. Without two-factor sign-in only when the process runs as a test."""
        if role not in {r.value for r in Role}:
            raise AccountError(f"Unknown role {role!r}.")
        if not mfa_required and bot_env != "test":
            raise AccountError("--no-mfa is only for tests: it is refused unless BOT_ENV=test.")
        check_password_rules(password)
        staff = Staff(email=normalise_email(email), role=role, team=team.strip() or DEFAULT_TEAM,
                      password_hash=_hasher.hash(password), mfa_required=mfa_required,
                      disabled=False, failed_logins=0, created_at=utcnow())
        try:
            with self.sessions.begin() as session:
                session.add(staff)
        except IntegrityError:
            raise AccountError(f"{staff.email} already has an account.") from None
        return staff

    def all(self) -> List[Staff]:
        with self.sessions() as session:
            return list(session.execute(sa.select(Staff).order_by(Staff.id)).scalars())

    def disable(self, email: str) -> Staff:
        """Disable an account; its sessions stop working on their next request."""
        with self.sessions.begin() as session:
            staff = self._by_email(session, normalise_email(email))
            if staff is None:
                raise AccountError(f"No account for {email}.")
            staff.disabled = True
            return staff

    # --- lookups ----------------------------------------------------------------------------

    def by_id(self, staff_id: int) -> Optional[Staff]:
        with self.sessions() as session:
            return session.get(Staff, staff_id)

    def team_members(self, team: str, role: str = Role.HEALTH_VISITOR.value) -> List[Staff]:
        with self.sessions() as session:
            return list(session.execute(
                sa.select(Staff).where(Staff.team == team, Staff.role == role,
                                       Staff.disabled.is_(False)).order_by(Staff.email)
            ).scalars())

    # --- signing in -------------------------------------------------------------------------

    def check_password(self, email: str, password: str, now: Optional[dt.datetime] = None) -> SignInResult:
        now = now or utcnow()
        with self.sessions.begin() as session:
            try:
                staff = self._by_email(session, normalise_email(email), lock=True)
            except AccountError:
                staff = None
            if staff is None or staff.disabled:
                _verify(_UNKNOWN_ACCOUNT_HASH, password)
                return SignInResult(SignIn.WRONG)
            refusal = self._refusal(staff, now)
            if refusal:
                return SignInResult(refusal, staff)
            if not _verify(staff.password_hash, password):
                return SignInResult(self._fail(staff, now), staff)
            if _hasher.check_needs_rehash(staff.password_hash):
                staff.password_hash = _hasher.hash(password)
            if not staff.mfa_required:
                self._succeed(staff, now)
            return SignInResult(SignIn.OK, staff)

    def check_totp(self, staff_id: int, code: str, now: Optional[dt.datetime] = None,
                   enrolling_secret: Optional[str] = None) -> SignInResult:
        """Check a code from the person's authenticator app. When `enrolling_secret` is given the
        code proves the app holds that secret, and it becomes the account's secret."""
        now = now or utcnow()
        with self.sessions.begin() as session:
            staff = session.get(Staff, staff_id, with_for_update=True)
            if staff is None or staff.disabled:
                return SignInResult(SignIn.WRONG)
            refusal = self._refusal(staff, now)
            if refusal:
                return SignInResult(refusal, staff)
            secret = enrolling_secret or staff.totp_secret
            step = matching_step(secret, code, now, staff.totp_last_step) if secret else None
            if step is None:
                return SignInResult(self._fail(staff, now), staff)
            staff.totp_secret, staff.totp_last_step = secret, step
            self._succeed(staff, now)
            return SignInResult(SignIn.OK, staff)

    # --- internals --------------------------------------------------------------------------

    @staticmethod
    def _by_email(session, email: str, lock: bool = False) -> Optional[Staff]:
        query = sa.select(Staff).where(Staff.email == email)
        if lock:
            query = query.with_for_update()
        return session.execute(query).scalar_one_or_none()

    @staticmethod
    def _refusal(staff: Staff, now: dt.datetime) -> Optional[SignIn]:
        if staff.locked_until and now < as_utc(staff.locked_until):
            return SignIn.LOCKED
        if staff.next_attempt_at and now < as_utc(staff.next_attempt_at):
            return SignIn.WAIT
        return None

    @staticmethod
    def _fail(staff: Staff, now: dt.datetime) -> SignIn:
        staff.failed_logins += 1
        if staff.failed_logins >= LOCK_AFTER:
            staff.locked_until = now + dt.timedelta(minutes=LOCK_MINUTES)
            staff.failed_logins, staff.next_attempt_at = 0, None
            return SignIn.LOCKED
        if staff.failed_logins >= THROTTLE_AFTER:
            delay = 2 ** (staff.failed_logins - THROTTLE_AFTER)
            staff.next_attempt_at = now + dt.timedelta(seconds=delay)
        return SignIn.WRONG

    @staticmethod
    def _succeed(staff: Staff, now: dt.datetime) -> None:
        staff.failed_logins, staff.next_attempt_at, staff.locked_until = 0, None, None
        staff.last_login_at = now


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name="Safer Sleep dashboard")


def matching_step(secret: str, code: str, now: dt.datetime, last_step: Optional[int]) -> Optional[int]:
    """The time step whose code matches (allowing one step of clock drift either way), if it is
    newer than the last one used: each code signs in once."""
    code = code.strip().replace(" ", "")
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // TOTP_STEP_SECONDS
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.at(step * TOTP_STEP_SECONDS), code):
            if last_step is not None and step <= last_step:
                return None
            return step
    return None
