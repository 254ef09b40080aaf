"""Shared helpers for the dashboard tests: settings, accounts, signing in through the real forms,
and cases made the way the action server makes them."""
from __future__ import annotations

import datetime as dt
import re
import uuid
from functools import lru_cache
from typing import Optional

import pyotp
from argon2 import PasswordHasher

from bot.config import Settings, load_settings
from bot.dashboard.accounts import Accounts
from bot.db.models import utcnow
from bot.db.staff import Staff
from bot.handoffs.service import HandoffService, Offer
from tests.conftest import free_port

PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SECRET = re.compile(r'<code id="totp-secret">([^<]+)</code>')


def settings_for(database_url: str, tmp_path, **extra: str) -> Settings:
    """Test settings; RASA_PORT is a free port, so closing a case finds no Rasa server there. The
    model registry and the live model file are the test's own, never the project's."""
    return load_settings({"DATABASE_URL": database_url, "BOT_VAR_DIR": str(tmp_path / "var"),
                          "MODEL_REGISTRY_DIR": str(tmp_path / "registry"),
                          "BOT_MODEL": str(tmp_path / "models" / "current.tar.gz"),
                          "NLU_DATA_DIR": str(tmp_path / "nlu"),
                          "BOT_ENV": "test", "RASA_PORT": str(free_port()), **extra})


def csrf_of(html: str) -> str:
    return CSRF.search(html).group(1)


@lru_cache(maxsize=1)
def password_hash() -> str:
    """PASSWORD hashed once per test run: argon2id costs ~0.3 s a hash on these 2 cores, and the
    fixtures make four accounts per test (Accounts.add itself is tested in test_sign_in.py)."""
    return PasswordHasher().hash(PASSWORD)


def add_staff(accounts: Accounts, email: str, role: str, team: str = "default", mfa: bool = True) -> Staff:
    staff = Staff(email=email, role=role, team=team, password_hash=password_hash(), mfa_required=mfa,
                  disabled=False, failed_logins=0, created_at=utcnow())
    with accounts.sessions.begin() as session:
        session.add(staff)
    return staff


class SignedIn:
    """A test client signed in as one person; `secret` is their enrolled TOTP secret."""

    def __init__(self, client, secret: Optional[str]) -> None:
        self.client, self.secret = client, secret

    def csrf(self, path: str = "/") -> str:
        return csrf_of(self.client.get(path, follow_redirects=True).text)

    def post(self, path: str, data: dict, **kwargs):
        return self.client.post(path, data={"csrf_token": self.csrf(), **data}, **kwargs)


def sign_in(client, email: str, password: str = PASSWORD, secret: Optional[str] = None,
            at: Optional[dt.datetime] = None) -> SignedIn:
    """Through the real forms: password, then TOTP (enrolling a new secret on first sign-in)."""
    page = client.get("/login")
    response = client.post("/login", data={"csrf_token": csrf_of(page.text), "email": email,
                                           "password": password})
    assert response.status_code == 302, response.text
    if response.headers["Location"].endswith("/mfa"):
        page = client.get("/mfa")
        if secret is None:
            secret = SECRET.search(page.text).group(1).replace(" ", "")
        code = pyotp.TOTP(secret).at(at or utcnow())
        response = client.post("/mfa", data={"csrf_token": csrf_of(page.text), "code": code})
        assert response.status_code == 302, response.text
    return SignedIn(client, secret)


def make_case(sessions, *, sender_id: Optional[str] = None, category: str = "unsafe_sleep",
              level: str = "high", team: str = "default", text: str = "baby in bed with me after 4 cans",
              at: Optional[dt.datetime] = None):
    at = at or utcnow()
    offer = Offer(offer_id=str(uuid.uuid4()), sender_id=sender_id or f"p-{uuid.uuid4().hex[:8]}",
                  channel="rest", category=category, level=level, matched="bed with me",
                  wording_version="handoff-consent-v1", wording_text="Would you like a health visitor...",
                  categories=[category], priority=11 if level == "emergency" else 1,
                  trigger_messages=[{"text": text, "at": at.isoformat(), "category": category}])
    case = HandoffService(sessions).accept(offer, now=at)
    if team != "default":
        from bot.db.models import Handoff
        with sessions.begin() as session:
            session.get(Handoff, case.id).team = team
    return case


def add_contact(sessions, sender_id: str, address: str = "+447700900111") -> None:
    """Make the parent reachable by SMS, as the Twilio channel does on their first message."""
    from bot.db.messaging import Channel
    from bot.messaging import contacts

    with sessions.begin() as session:
        contacts.record_inbound(session, sender_id, address, Channel.SMS, "+447700900900", utcnow())
