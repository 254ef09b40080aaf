"""Every route × every role × signed out, from the app's own URL map; CSRF on every POST; another
team's case is 404; sessions end on the server; cookies and headers."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from bot.db.staff import CaseNote, StaffSession
from tests.dashboard.helpers import add_contact, csrf_of, make_case, sign_in

PRINCIPALS = ("signed_out", "health_visitor", "trainer", "admin")
EMAILS = {"health_visitor": "hv@example.nhs.uk", "trainer": "trainer@example.nhs.uk",
          "admin": "admin@example.nhs.uk"}
# (endpoint, method) -> status for signed out, health visitor, trainer, admin. Listed in the order
# they run: the case actions change the case, and closing it comes last; signing out is last of all.
EXPECTED = {
    ("static", "GET"): (200, 200, 200, 200),
    ("auth.health", "GET"): (200, 200, 200, 200),
    ("auth.login", "GET"): (200, 302, 302, 302),
    ("auth.login_submit", "POST"): (401, 401, 401, 401),
    ("auth.mfa", "GET"): (302, 302, 302, 302),
    ("auth.mfa_submit", "POST"): (302, 302, 302, 302),
    ("auth.home", "GET"): (302, 302, 302, 302),
    ("queue.show", "GET"): (302, 200, 403, 403),
    ("queue.rows", "GET"): (302, 200, 403, 403),
    ("cases.show", "GET"): (302, 200, 403, 403),
    ("cases.export", "GET"): (302, 200, 403, 403),
    ("audit.show", "GET"): (302, 403, 403, 200),
    ("audit.export", "GET"): (302, 403, 403, 200),
    ("training.show", "GET"): (302, 403, 200, 200),
    ("training.evaluation", "GET"): (302, 403, 200, 200),
    ("training.model", "GET"): (302, 403, 404, 404),
    ("training.promote", "POST"): (302, 403, 404, 404),
    ("training.rollback", "POST"): (302, 403, 409, 409),
    ("training.jobs_page", "GET"): (302, 403, 200, 200),
    ("training.start_job", "POST"): (302, 403, 404, 404),
    ("inbox.show", "GET"): (302, 403, 200, 200),
    ("inbox.label", "POST"): (302, 403, 404, 404),
    ("inbox.noise", "POST"): (302, 403, 404, 404),
    ("try_bot.show", "GET"): (302, 403, 302, 302),
    ("try_bot.send", "POST"): (302, 403, 404, 404),
    ("cases.claim", "POST"): (302, 302, 403, 403),
    ("cases.unclaim", "POST"): (302, 302, 403, 403),
    ("cases.reassign", "POST"): (302, 302, 403, 403),
    ("cases.add_note", "POST"): (302, 302, 403, 403),
    ("cases.reply", "POST"): (302, 302, 403, 403),
    ("cases.false_alarm", "POST"): (302, 302, 403, 403),
    ("cases.missed_risk", "POST"): (302, 409, 403, 403),
    ("cases.close", "POST"): (302, 302, 403, 403),
    ("auth.logout", "POST"): (302, 302, 302, 302),
}


def routes(app):
    """(endpoint, method, rule) for every route the app serves."""
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, rule


@pytest.fixture
def case(sessions, staff):
    case = make_case(sessions)
    add_contact(sessions, case.sender_id)
    return case


def test_every_route_gives_each_role_and_signed_out_visitors_the_expected_status(app, staff, case):
    served = {(endpoint, method): rule for endpoint, method, rule in routes(app)}
    assert set(served) == set(EXPECTED), "a route was added or removed: give it a row in EXPECTED"
    clients = {"signed_out": app.test_client()}
    for role, email in EMAILS.items():
        clients[role] = sign_in(app.test_client(), email).client
    form = {"cases.reassign": {"staff_id": staff["health_visitor"].id},
            "cases.add_note": {"text": "Called, no answer."}, "cases.reply": {"text": "Hello, it is Sam."},
            "cases.close": {"outcome": "advice_given"}}
    seen = {}
    for (endpoint, method), statuses in EXPECTED.items():
        rule = served[(endpoint, method)]
        url = rule.build({"case_id": case.id, "filename": "style.css", "model_id": "unregistered",
                          "item_id": 0, "kind": "unknown"},
                         append_unknown=False)[1]
        for principal, expected in zip(PRINCIPALS, statuses):
            client = clients[principal]
            if method == "GET":
                response = client.get(url)
            else:
                token = csrf_of(client.get("/login" if principal == "signed_out" else "/", follow_redirects=True).text)
                response = client.post(url, data={"csrf_token": token, **form.get(endpoint, {})})
            seen[(endpoint, method, principal)] = response.status_code
            assert response.status_code == expected, (endpoint, method, principal, response.text[:300])
    assert len(seen) == len(EXPECTED) * len(PRINCIPALS)


def test_a_view_that_declares_no_access_is_refused_to_everyone(app, staff):
    app.add_url_rule("/undeclared", "undeclared", lambda: "secret")
    assert app.test_client().get("/undeclared").status_code == 302
    for email in EMAILS.values():
        assert sign_in(app.test_client(), email).client.get("/undeclared").status_code == 403


def test_every_post_without_the_csrf_token_is_refused_and_changes_nothing(app, staff, case, sessions):
    hv = sign_in(app.test_client(), "hv@example.nhs.uk")
    signing_in = {"auth.login_submit", "auth.mfa_submit"}
    posts = [rule for endpoint, method, rule in routes(app) if method == "POST" and endpoint not in signing_in]
    assert len(posts) == 15
    trainer = sign_in(app.test_client(), "trainer@example.nhs.uk")
    missing, forged = {"text": "x", "outcome": "advice_given"}, {"csrf_token": "forged", "text": "x"}
    for rule in posts:
        url = rule.build({"case_id": case.id, "model_id": "unregistered", "item_id": 0, "kind": "unknown"},
                         append_unknown=False)[1]
        who = trainer if rule.endpoint.startswith(("training.", "inbox.", "try_bot.")) else hv
        for data in (missing, forged):
            assert who.client.post(url, data=data).status_code == 400, url
    with sessions() as session:
        assert session.execute(sa.select(sa.func.count()).select_from(CaseNote)).scalar() == 0
    assert hv.client.get(f"/cases/{case.id}").status_code == 200  # still signed in, case untouched
    # Signing in: the password form, and the code form half-way through.
    half = app.test_client()
    assert half.post("/login", data={"email": "hv@example.nhs.uk",
                                     "password": "correct horse battery staple"}).status_code == 400
    page = half.get("/login")
    half.post("/login", data={"csrf_token": csrf_of(page.text), "email": "hv@example.nhs.uk",
                              "password": "correct horse battery staple"})
    assert half.get("/mfa").status_code == 200
    assert half.post("/mfa", data={"code": "123456"}).status_code == 400


def test_another_teams_case_is_not_found_for_reading_or_acting(app, staff, sessions):
    north_case = make_case(sessions, team="north")
    hv = sign_in(app.test_client(), "hv@example.nhs.uk")
    assert hv.client.get(f"/cases/{north_case.id}").status_code == 404
    assert hv.client.get(f"/cases/{north_case.id}/export").status_code == 404
    assert hv.post(f"/cases/{north_case.id}/claim", {}).status_code == 404
    assert f"Case {north_case.id}<" not in hv.client.get("/queue").text
    north = sign_in(app.test_client(), "north@example.nhs.uk")
    assert north.client.get(f"/cases/{north_case.id}").status_code == 200


def session_cookie(client):
    cookie = client.get_cookie("hv_session")
    return cookie.value if cookie else None


def test_signing_in_issues_a_new_session_and_the_old_token_stops_working(app, staff):
    client = app.test_client()
    page = client.get("/login")
    client.post("/login", data={"csrf_token": csrf_of(page.text), "email": "hv@example.nhs.uk",
                                "password": "correct horse battery staple"})
    half_way = session_cookie(client)
    sign_in_client = sign_in(app.test_client(), "hv@example.nhs.uk")
    full = session_cookie(sign_in_client.client)
    assert half_way and full and half_way != full
    replay = app.test_client()
    replay.set_cookie("hv_session", half_way)
    assert replay.get("/queue").status_code == 302


def test_logout_ends_the_session_on_the_server(app, staff):
    hv = sign_in(app.test_client(), "hv@example.nhs.uk")
    token = session_cookie(hv.client)
    assert hv.post("/logout", {}).status_code == 302
    stolen = app.test_client()
    stolen.set_cookie("hv_session", token)
    assert stolen.get("/queue").status_code == 302


def test_thirty_idle_minutes_end_the_session_and_the_queue_refresh_is_not_activity(app, staff, sessions):
    hv = sign_in(app.test_client(), "hv@example.nhs.uk")

    def last_seen():
        with sessions() as session:
            return session.execute(sa.select(StaffSession.last_seen_at)
                                   .where(StaffSession.ended_at.is_(None))).scalar_one()

    before = last_seen()
    assert hv.client.get("/queue/rows").status_code == 200
    assert last_seen() == before
    with sessions.begin() as session:
        session.execute(sa.update(StaffSession).values(last_seen_at=before - dt.timedelta(minutes=31)))
    assert hv.client.get("/queue").status_code == 302
    with sessions() as session:
        assert session.execute(sa.select(sa.func.count()).select_from(StaffSession)
                               .where(StaffSession.ended_at.is_(None))).scalar() == 0


def test_cookies_are_httponly_samesite_lax_and_secure_over_https(app, staff, settings, tmp_path):
    from bot.dashboard.app import create_app
    from tests.dashboard.helpers import settings_for

    def session_set_cookie(application, base_url):
        client = application.test_client()
        page = client.get("/login", base_url=base_url)
        response = client.post("/login", base_url=base_url, data={
            "csrf_token": csrf_of(page.text), "email": "hv@example.nhs.uk",
            "password": "correct horse battery staple"})
        return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("hv_session="))

    plain = session_set_cookie(app, "http://localhost")
    assert "HttpOnly" in plain and "SameSite=Lax" in plain and "Secure" not in plain
    assert "Secure" in session_set_cookie(app, "https://localhost")
    behind_tls = create_app(settings_for(settings.database_url, tmp_path,
                                         DASHBOARD_URL="https://hv.example.nhs.uk"))
    assert "Secure" in session_set_cookie(behind_tls, "http://localhost")


def test_pages_carry_protective_headers(app, staff):
    response = sign_in(app.test_client(), "hv@example.nhs.uk").client.get("/queue")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
