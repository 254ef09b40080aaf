"""Accounts and signing in: argon2id, 12-character passwords, TOTP enrolled on first sign-in and
never replayed, slowing down then locking out guessing, and the CLI's --no-mfa guard."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pyotp
import pytest

from bot.dashboard.accounts import LOCK_AFTER, THROTTLE_AFTER, AccountError, SignIn
from bot.db.models import utcnow
from bot.db.staff import Staff
from tests.dashboard.helpers import PASSWORD, csrf_of, sign_in


def test_passwords_are_stored_as_argon2id_and_must_have_12_characters(accounts, sessions):
    accounts.add("a@example.nhs.uk", "health_visitor", PASSWORD, bot_env="test")
    with sessions() as session:
        stored = session.query(Staff).filter_by(email="a@example.nhs.uk").one().password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    with pytest.raises(AccountError, match="12 characters"):
        accounts.add("b@example.nhs.uk", "admin", "elevenchars", bot_env="test")


def test_an_account_without_mfa_is_refused_outside_tests(accounts):
    with pytest.raises(AccountError, match="BOT_ENV=test"):
        accounts.add("c@example.nhs.uk", "admin", PASSWORD, mfa_required=False, bot_env="production")


def test_the_cli_adds_lists_and_disables_staff_and_refuses_no_mfa_unless_bot_env_is_test(database_url, tmp_path):
    env = {**os.environ, "DATABASE_URL": database_url, "BOT_VAR_DIR": str(tmp_path)}
    env.pop("BOT_ENV", None)

    def cli(*args, stdin=PASSWORD + "\n", **extra):
        return subprocess.run([sys.executable, "-m", "bot", "staff", *args], input=stdin, text=True,
                              capture_output=True, env={**env, **extra})

    added = cli("add", "HV@Example.nhs.uk", "--role", "health_visitor", "--team", "north", "--password-stdin")
    assert added.returncode == 0, added.stderr
    refused = cli("add", "t@example.nhs.uk", "--role", "trainer", "--password-stdin", "--no-mfa")
    assert refused.returncode == 1 and "BOT_ENV=test" in refused.stderr
    assert cli("add", "t@example.nhs.uk", "--role", "trainer", "--password-stdin", "--no-mfa",
               BOT_ENV="test").returncode == 0
    assert cli("add", "s@example.nhs.uk", "--role", "admin", "--password-stdin",
               stdin="too short\n").returncode == 1
    assert cli("disable", "t@example.nhs.uk").returncode == 0
    listing = cli("list").stdout
    assert "hv@example.nhs.uk" in listing and "north" in listing
    assert "disabled" in listing.splitlines()[1] and "s@example.nhs.uk" not in listing


def test_first_sign_in_enrols_totp_and_later_sign_ins_ask_for_the_code(app, staff, sessions):
    first = sign_in(app.test_client(), "hv@example.nhs.uk")
    with sessions() as session:
        assert session.get(Staff, staff["health_visitor"].id).totp_secret == first.secret
    client = app.test_client()
    page = client.get("/login")
    response = client.post("/login", data={"csrf_token": csrf_of(page.text),
                                           "email": "hv@example.nhs.uk", "password": PASSWORD})
    assert response.headers["Location"].endswith("/mfa")
    # Password alone opens nothing.
    assert client.get("/queue").status_code == 302
    mfa_page = client.get("/mfa")
    assert "totp-secret" not in mfa_page.text
    wrong = client.post("/mfa", data={"csrf_token": csrf_of(mfa_page.text), "code": "000000"})
    assert wrong.status_code == 401
    # The code of the next time step: the one used to enrol cannot sign in again.
    later = utcnow() + dt.timedelta(seconds=30)
    code = pyotp.TOTP(first.secret).at(later)
    assert client.post("/mfa", data={"csrf_token": csrf_of(mfa_page.text), "code": code}).status_code == 302
    assert client.get("/queue").status_code == 200


def test_a_totp_code_signs_in_only_once(accounts, staff, sessions):
    person = staff["admin"]
    secret = pyotp.random_base32()
    now = utcnow()
    code = pyotp.TOTP(secret).at(now)
    assert accounts.check_totp(person.id, code, now, enrolling_secret=secret).outcome is SignIn.OK
    assert accounts.check_totp(person.id, code, now).outcome is SignIn.WRONG


def test_failed_sign_ins_slow_down_then_lock_the_account(accounts, staff):
    now = utcnow()
    for _ in range(THROTTLE_AFTER):
        assert accounts.check_password("hv@example.nhs.uk", "wrong password!", now).outcome is SignIn.WRONG
    # Now each attempt must wait, even with the right password.
    assert accounts.check_password("hv@example.nhs.uk", PASSWORD, now).outcome is SignIn.WAIT
    for attempt in range(THROTTLE_AFTER, LOCK_AFTER):
        now += dt.timedelta(minutes=5)
        outcome = accounts.check_password("hv@example.nhs.uk", "wrong password!", now).outcome
        assert outcome is (SignIn.LOCKED if attempt == LOCK_AFTER - 1 else SignIn.WRONG)
    now += dt.timedelta(minutes=5)
    assert accounts.check_password("hv@example.nhs.uk", PASSWORD, now).outcome is SignIn.LOCKED
    now += dt.timedelta(minutes=31)
    assert accounts.check_password("hv@example.nhs.uk", PASSWORD, now).outcome is SignIn.OK


def test_wrong_email_and_wrong_password_read_the_same_and_are_audited(app, staff, sessions):
    client = app.test_client()
    token = csrf_of(client.get("/login").text)
    unknown = client.post("/login", data={"csrf_token": token, "email": "nobody@example.nhs.uk",
                                          "password": PASSWORD})
    wrong = client.post("/login", data={"csrf_token": token, "email": "hv@example.nhs.uk",
                                        "password": "not the password"})
    assert unknown.status_code == wrong.status_code == 401
    assert "is not right" in unknown.text and "is not right" in wrong.text
    from bot.dashboard.audit import AuditFilter, AuditLog
    failed = AuditLog(sessions).search(AuditFilter(action="sign_in_failed"))
    assert [e.staff_id for e in failed] == [staff["health_visitor"].id, None]


def test_a_disabled_account_cannot_sign_in_and_its_session_ends(app, accounts, staff):
    client = app.test_client()
    sign_in(client, "hv@example.nhs.uk")
    assert client.get("/queue").status_code == 200
    accounts.disable("hv@example.nhs.uk")
    assert client.get("/queue").status_code == 302
    page = client.get("/login")
    assert client.post("/login", data={"csrf_token": csrf_of(page.text), "email": "hv@example.nhs.uk",
                                       "password": PASSWORD}).status_code == 401
