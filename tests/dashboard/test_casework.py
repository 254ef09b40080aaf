"""The case page and the actions on it, through the app: conversation, signals, consent, notes,
claim/unclaim/reassign, reply through the outbox, close (the parent told, the bot resumed), the
withdrawn-consent view, and the audit row each leaves."""
from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from bot.dashboard.audit import AuditFilter, AuditLog
from bot.db.messaging import OutboundMessage
from bot.db.models import Handoff, utcnow
from bot.db.session import engine_for
from bot.handoffs.service import HandoffService
from tests.dashboard.helpers import add_contact, make_case, settings_for, sign_in

EVENTS = sa.Table("events", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                  sa.Column("sender_id", sa.String(255)), sa.Column("type_name", sa.String(255)),
                  sa.Column("timestamp", sa.Float), sa.Column("intent_name", sa.String(255)),
                  sa.Column("action_name", sa.String(255)), sa.Column("data", sa.Text))


def store_conversation(url: str, sender_id: str, messages) -> None:
    """Write events the way Rasa's SQL tracker store does (for tests without a running bot)."""
    engine = engine_for(url)
    EVENTS.create(engine, checkfirst=True)
    with engine.begin() as connection:
        for type_name, at, text in messages:
            connection.execute(EVENTS.insert().values(sender_id=sender_id, type_name=type_name,
                                                      timestamp=at.timestamp(), data=json.dumps({"text": text})))


@pytest.fixture
def conversation_case(sessions, settings, staff):
    start = utcnow() - dt.timedelta(minutes=10)
    case = make_case(sessions, at=start + dt.timedelta(minutes=2), text="baby in bed with me after 4 cans")
    add_contact(sessions, case.sender_id)
    store_conversation(settings.tracker_store_url, case.sender_id, [
        ("user", start + dt.timedelta(minutes=1), "baby in bed with me after 4 cans"),
        ("bot", start + dt.timedelta(minutes=1, seconds=1), "Please move baby to their own cot."),
        ("user", start + dt.timedelta(minutes=2), "yes"),
        ("user", start + dt.timedelta(minutes=5), "what temp shud the room be"),
    ])
    return case


def test_the_case_page_shows_the_whole_conversation_signals_consent_and_notes(app, conversation_case):
    hv = sign_in(app.test_client(), "hv@example.nhs.uk")
    assert hv.post(f"/cases/{conversation_case.id}/notes", {"text": "Rang, left voicemail."}).status_code == 302
    assert hv.post(f"/cases/{conversation_case.id}/reply", {"text": "Hi, I am Sam, your health visitor."}).status_code == 302
    page = hv.client.get(f"/cases/{conversation_case.id}").text
    order = ["baby in bed with me after 4 cans", "Please move baby to their own cot.",
             "what temp shud the room be", "Hi, I am Sam, your health visitor."]
    conversation = page[page.index('id="conversation-heading"'):]
    assert [conversation.index(t) for t in order] == sorted(conversation.index(t) for t in order)
    assert conversation.count("received while paused") == 1  # only the message after consent
    assert "unsafe sleep" in page and "Would you like a health visitor..." in page
    assert "handoff-consent-v1" in page and "Rang, left voicemail." in page and "hv@example.nhs.uk" in page
    assert "+447700900111" in page  # the number to call, from the Twilio contact


def test_a_reply_goes_out_through_the_outbox_by_sms(app, conversation_case, sessions):
    hv = sign_in(app.test_client(), "hv@example.nhs.uk")
    hv.post(f"/cases/{conversation_case.id}/reply", {"text": "I will call you at 2pm."})
    with sessions() as session:
        [row] = session.execute(sa.select(OutboundMessage)).scalars().all()
    assert (row.to_address, row.origin, row.body, row.status) == ("+447700900111", "staff",
                                                                   "I will call you at 2pm.", "queued")


def test_a_reply_to_a_parent_who_wrote_over_rest_is_refused_with_the_reason(app, sessions, staff):
    case = make_case(sessions)
    hv = sign_in(app.test_client(), "hv@example.nhs.uk")
    response = hv.post(f"/cases/{case.id}/reply", {"text": "Hello"})
    assert response.status_code == 409 and "cannot reach them" in response.text


def test_claim_unclaim_and_reassign_stay_within_the_team(app, sessions, staff, accounts):
    case = make_case(sessions)
    colleague = accounts.add("hv2@example.nhs.uk", "health_visitor", "correct horse battery staple",
                             bot_env="test")
    hv = sign_in(app.test_client(), "hv@example.nhs.uk")
    hv.post(f"/cases/{case.id}/claim", {})
    assert "Held by</dt><dd>hv@example.nhs.uk" in hv.client.get(f"/cases/{case.id}").text
    assert hv.post(f"/cases/{case.id}/reassign", {"staff_id": staff["other_team_hv"].id}).status_code == 409
    hv.post(f"/cases/{case.id}/reassign", {"staff_id": colleague.id})
    assert "Held by</dt><dd>hv2@example.nhs.uk" in hv.client.get(f"/cases/{case.id}").text
    hv.post(f"/cases/{case.id}/unclaim", {})
    with sessions() as session:
        assert session.get(Handoff, case.id).status == "open"


class FakeRasa:
    """A local HTTP server standing in for Rasa's /conversations/…/tracker/events endpoint."""

    def __init__(self):
        self.requests = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append((self.path, json.loads(body)))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_closing_records_the_outcome_tells_the_parent_and_resumes_the_bot(database_url, tmp_path, staff):
    from bot.dashboard.app import create_app
    from bot.db.session import session_factory

    rasa = FakeRasa()
    try:
        settings = settings_for(database_url, tmp_path, RASA_PORT=str(rasa.server.server_port),
                                RASA_TOKEN="tok")
        app = create_app(settings)
        sessions = session_factory(database_url)
        case = make_case(sessions)
        add_contact(sessions, case.sender_id)
        hv = sign_in(app.test_client(), "hv@example.nhs.uk")
        assert hv.post(f"/cases/{case.id}/close", {"outcome": "bogus"}).status_code == 409
        assert hv.post(f"/cases/{case.id}/close", {"outcome": "referred_gp"}).status_code == 302
    finally:
        rasa.server.shutdown()
    with sessions() as session:
        closed = session.get(Handoff, case.id)
        [told] = session.execute(sa.select(OutboundMessage)).scalars().all()
    assert (closed.status, closed.outcome) == ("closed", "referred_gp")
    assert "closed your case" in told.body and told.to_address == "+447700900111"
    [(path, events)] = rasa.requests
    assert path.startswith(f"/conversations/{case.sender_id}/tracker/events?") and "token=tok" in path
    assert events == [{"event": "slot", "name": "handoff_open", "value": False}]
    page = hv.client.get(f"/cases/{case.id}").text
    assert "Referred to GP" in page and "Close case" not in page and "closed your case" in page


def test_a_withdrawn_case_says_so_keeps_what_was_shared_and_hides_what_came_after(app, conversation_case, sessions, settings):
    HandoffService(sessions).withdraw(conversation_case.sender_id)
    store_conversation(settings.tracker_store_url, conversation_case.sender_id,
                       [("user", utcnow() + dt.timedelta(seconds=5), "something private later")])
    hv = sign_in(app.test_client(), "hv@example.nhs.uk")
    page = hv.client.get(f"/cases/{conversation_case.id}").text
    assert "Consent withdrawn" in page and "safeguarding" in page
    assert "what temp shud the room be" in page and "something private later" not in page
    assert "Send reply" not in page and "withdrawn" in page


def test_every_view_export_and_action_is_audited_with_who_which_case_and_where(app, conversation_case, sessions, staff):
    hv = sign_in(app.test_client(), "hv@example.nhs.uk")
    case_id = conversation_case.id
    hv.client.get(f"/cases/{case_id}")
    assert "what temp shud the room be" in hv.client.get(f"/cases/{case_id}/export").text
    for path, data in [("claim", {}), ("unclaim", {}), ("reassign", {"staff_id": staff["health_visitor"].id}),
                       ("notes", {"text": "n"}), ("reply", {"text": "r"}), ("close", {"outcome": "advice_given"})]:
        assert hv.post(f"/cases/{case_id}/{path}", data).status_code == 302
    rows = AuditLog(sessions).search(AuditFilter(case_id=case_id))
    actions = [r.action for r in reversed(rows)]
    # Each action redirects back to the page, which is itself a view.
    assert [a for a in actions if a != "case_viewed"] == [
        "case_exported", "case_claimed", "case_unclaimed", "case_reassigned", "note_added",
        "reply_sent", "case_closed"]
    assert actions.count("case_viewed") >= 1
    assert {(r.staff_id, r.staff_email, r.ip) for r in rows} == {
        (staff["health_visitor"].id, "hv@example.nhs.uk", "127.0.0.1")}


def test_admins_read_and_filter_the_audit_log_and_download_it(app, conversation_case, sessions):
    hv = sign_in(app.test_client(), "hv@example.nhs.uk")
    hv.post(f"/cases/{conversation_case.id}/claim", {})
    admin = sign_in(app.test_client(), "admin@example.nhs.uk")
    page = admin.client.get(f"/audit?case={conversation_case.id}&action=case_claimed").text
    assert page.count("<td>case claimed</td>") == 1 and "<td>case viewed</td>" not in page
    csv = admin.client.get("/audit/export.csv?action=case_claimed").text.splitlines()
    assert csv[0].startswith("id,at,staff_email") and len(csv) == 2 and "hv@example.nhs.uk" in csv[1]
    actions = [r.action for r in AuditLog(sessions).search(AuditFilter(staff_email="admin@"))]
    assert "audit_viewed" in actions and "audit_exported" in actions


def test_the_audit_log_refuses_updates_and_deletes(app, conversation_case, sessions):
    sign_in(app.test_client(), "hv@example.nhs.uk").client.get(f"/cases/{conversation_case.id}")
    for statement in ("UPDATE audit_log SET action = 'nothing'", "DELETE FROM audit_log"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            with sessions.begin() as session:
                session.execute(sa.text(statement))


def test_closing_a_case_that_cannot_be_messaged_leaves_the_bot_to_tell_the_parent(database_url, tmp_path, staff):
    """A REST conversation cannot be sent to: the pause stays on, so the parent's next message is
    met with "your case was closed" (action_record_paused_message) rather than silence about it."""
    from bot.dashboard.app import create_app
    from bot.db.session import session_factory

    rasa = FakeRasa()
    try:
        app = create_app(settings_for(database_url, tmp_path, RASA_PORT=str(rasa.server.server_port)))
        case = make_case(session_factory(database_url))
        hv = sign_in(app.test_client(), "hv@example.nhs.uk")
        assert hv.post(f"/cases/{case.id}/close", {"outcome": "could_not_contact"}).status_code == 302
    finally:
        rasa.server.shutdown()
    assert rasa.requests == []
    assert "Could not contact" in hv.client.get(f"/cases/{case.id}").text
