"""Access and erasure requests on SQLite and PostgreSQL: export shows everything held about a
number; erase deletes it except the safeguarding keeps (an active case with its parent's contact and
conversation) and messages not yet answered, records why, and nothing can be sent to an erased
contact afterwards until the parent writes again."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from bot.config import PROJECT_ROOT, load_settings
from bot.db.governance import Erasure, ErasureKeep
from bot.dashboard.conversation import tracker_entries
from bot.db.messaging import Channel, Contact, InboundMessage, InboundStatus, OutboundMessage
from bot.db.models import Consent, Handoff, utcnow
from bot.db.staff import AuditEntry
from bot.governance import subject
from bot.messaging import contacts, outbox
from bot.messaging.sender import plan
from tests.integration.governance_helpers import (  # noqa: F401 (sessions is a fixture)
    NOW, ago, sessions, SECRET, closed_case, count, decline, open_case, parent_writes, save_conversation, sender, tracker_events)

PHONE = "+447700900111"
OTHER = "+447700900222"
HOLD_DAYS = 180
SENDER_ENVIRONMENT = {"TWILIO_AUTH_TOKEN": "t", "TWILIO_ACCOUNT_SID": "AC1", "PUBLIC_URL": "https://x.org",
                      "TWILIO_SMS_FROM": "+447700900900"}
SENDER_SETTINGS = load_settings(SENDER_ENVIRONMENT)


@pytest.fixture
def held(sessions, database_url):
    """The parent on SMS and WhatsApp: an open case, a case closed last month, one closed two years
    ago, a declined offer, messages and conversations; another parent beside them."""
    sms = parent_writes(sessions, PHONE, "my baby sleeps on his front", ago(3))
    whatsapp = parent_writes(sessions, "whatsapp:" + PHONE, "can I co-sleep", ago(2))
    save_conversation(database_url, sms, ["my baby sleeps on his front"], ago(3))
    save_conversation(database_url, whatsapp, ["can I co-sleep"], ago(2))
    long_ago = closed_case(sessions, sms, ago(730), "long-ago")
    last_month = closed_case(sessions, sms, ago(30), "last-month")
    current = open_case(sessions, whatsapp, ago(1), "current")
    decline(sessions, sms, ago(5))
    other = parent_writes(sessions, OTHER, "hello", ago(1))
    save_conversation(database_url, other, ["hello"], ago(1))
    other_case = open_case(sessions, other, ago(1), "other")
    with sessions.begin() as session:
        session.add(AuditEntry(at=ago(700), action="case_viewed", case_id=long_ago.id))
    return {"sms": sms, "whatsapp": whatsapp, "long_ago": long_ago.id, "last_month": last_month.id,
            "current": current.id, "other": other, "other_case": other_case.id}


def test_export_lists_everything_held_about_the_number_on_both_channels(sessions, database_url, held):
    data = subject.export(sessions, database_url, PHONE, SECRET)
    assert set(data["sender_ids"]) == {held["sms"], held["whatsapp"]}
    assert {c["address"] for c in data["contacts"]} == {PHONE, "whatsapp:" + PHONE}
    assert {m["body"] for m in data["inbound_messages"]} == {"my baby sleeps on his front", "can I co-sleep"}
    assert len(data["outbound_messages"]) == 2
    assert {c["id"] for c in data["cases"]} == {held["long_ago"], held["last_month"], held["current"]}
    current = next(c for c in data["cases"] if c["id"] == held["current"])
    assert [c["decision"] for c in current["consents"]] == ["given"]
    assert current["messages_while_paused"][0]["text"] == "still worried"
    assert next(c for c in data["cases"] if c["id"] == held["long_ago"])["audit"][0]["action"] == "case_viewed"
    assert [d["category"] for d in data["declined_offers"]] == ["unsafe_sleep"]
    texts = {e["data"].get("text") for e in data["conversation_events"] if e["type"] == "user"}
    assert texts == {"my baby sleeps on his front", "can I co-sleep"}
    assert "hello" not in json.dumps(data)  # nothing of the other parent
    with sessions() as session:
        row = session.execute(sa.select(AuditEntry).where(AuditEntry.action == "subject_exported")).scalar_one()
    assert PHONE not in row.detail and "3 case(s)" in row.detail


def test_erase_keeps_only_the_safeguarding_records_and_says_why(sessions, database_url, held):
    report = subject.erase(sessions, database_url, PHONE, SECRET, HOLD_DAYS)
    kept = {(k["record"], k["record_id"]): k["reason"] for k in report.kept}
    with sessions() as session:
        consents = {c.handoff_id: c.id for c in session.execute(sa.select(Consent)).scalars()}
    assert set(kept) == {("case", held["current"]), ("case", held["last_month"]),
                         ("consent", consents[held["current"]]), ("consent", consents[held["last_month"]]),
                         ("case_contact", held["current"]), ("case_conversation", held["current"])}
    assert "is open" in kept[("case", held["current"])]
    assert "kept for safeguarding follow-up until" in kept[("case", held["last_month"])]
    assert f"parent of case {held['current']}" in kept[("case_contact", held["current"])]
    assert report.deleted["cases"] == 1 and report.deleted["declined_offers"] == 1
    # The open case is on WhatsApp: that contact and conversation stay, the SMS ones go.
    assert report.deleted["contacts"] == 1 and report.deleted["conversation_events"] > 0
    assert tracker_events(database_url, held["sms"]) == 0
    assert count(sessions, Contact, Contact.sender_id == held["sms"]) == 0
    assert tracker_events(database_url, held["whatsapp"]) > 0
    assert count(sessions, Contact, Contact.sender_id == held["whatsapp"]) == 1
    for sender_id in (held["sms"], held["whatsapp"]):
        assert count(sessions, InboundMessage, InboundMessage.sender_id == sender_id) == 0
        assert count(sessions, OutboundMessage, OutboundMessage.sender_id == sender_id) == 0
    assert count(sessions, Handoff, Handoff.id == held["long_ago"]) == 0
    assert count(sessions, Consent, Consent.handoff_id.is_(None)) == 0
    with sessions() as session:
        keeps = session.execute(sa.select(ErasureKeep.record, ErasureKeep.record_id, ErasureKeep.reason)).all()
        assert {(r, i): why for r, i, why in keeps} == kept
        assert session.get(Erasure, report.erasure_id).deleted == report.deleted
        audited = session.execute(sa.select(AuditEntry).where(AuditEntry.action == "subject_erased")).scalar_one()
        # The audit row naming the erased case stays (it holds no text), on PostgreSQL too.
        assert session.execute(sa.select(AuditEntry.case_id).where(AuditEntry.action == "case_viewed")
                               ).scalar_one() == held["long_ago"]
    assert PHONE not in audited.detail and PHONE[1:] not in audited.detail
    assert f"case {held['current']}" in audited.detail
    # The other parent is untouched.
    assert count(sessions, Contact, Contact.sender_id == held["other"]) == 1
    assert count(sessions, Handoff, Handoff.id == held["other_case"]) == 1
    assert tracker_events(database_url, held["other"]) > 0


def test_the_health_visitor_can_still_read_and_answer_an_active_case_after_erasure(sessions, database_url, held):
    subject.erase(sessions, database_url, PHONE, SECRET, HOLD_DAYS)
    with sessions.begin() as session:
        case = session.get(Handoff, held["current"])
        # What the case page reads: the number from the contact, the conversation from the tracker.
        assert session.get(Contact, case.sender_id).address == "whatsapp:" + PHONE
        assert "can I co-sleep" in [e.text for e in tracker_entries(database_url, case.sender_id)]
        reply = outbox.queue_message(session, case.sender_id, "A health visitor's reply.", origin="staff")
        # Outside the 24-hour window (the parent last wrote two days ago): as the template.
        decision = plan(load_settings({**SENDER_ENVIRONMENT, "TWILIO_WHATSAPP_TEMPLATE_SID": "HX1"}), reply[0],
                        session.get(Contact, case.sender_id), utcnow())
        assert decision.params["to"] == "whatsapp:" + PHONE and decision.params["content_sid"] == "HX1"


def test_a_message_not_yet_answered_is_kept_with_its_contact_to_be_answered(sessions, database_url, held):
    waiting = parent_writes(sessions, PHONE, "are you there", NOW, status=InboundStatus.PENDING, reply=None)
    report = subject.erase(sessions, database_url, PHONE, SECRET, hold_days=0)
    with sessions.begin() as session:
        pending = session.execute(sa.select(InboundMessage).where(InboundMessage.sender_id == waiting)).scalar_one()
        assert pending.body == "are you there" and pending.status == InboundStatus.PENDING.value
        kept = {(k["record"], k["record_id"]) for k in report.kept}
        assert {("pending_message", pending.id), ("pending_message_contact", pending.id)} <= kept
        # The worker's reply to it can be queued and sent (it needs the contact).
        rows = outbox.queue_message(session, waiting, "A reply.", origin="bot", inbound_id=pending.id)
        assert plan(SENDER_SETTINGS, rows[0], session.get(Contact, waiting), utcnow()).params["to"] == PHONE
        audited = session.execute(sa.select(AuditEntry.detail).where(AuditEntry.action == "subject_erased")).scalar_one()
    assert "kept to be answered: 1 message(s)" in audited
    assert report.deleted["inbound_messages"] == 2  # the answered ones on both channels
    assert tracker_events(database_url, waiting) == 0  # it is answered in a new conversation


def test_a_health_visitors_reply_queued_on_an_active_case_is_kept_and_sent_after_erasure(sessions, database_url, held):
    with sessions.begin() as session:
        case = session.get(Handoff, held["current"])
        [reply] = outbox.queue_message(session, case.sender_id, "Queued just before the erasure.", origin="staff")
        reply_id = reply.id
        outbox.queue_message(session, held["sms"], "Queued to the SMS contact, which goes.", origin="staff")
    report = subject.erase(sessions, database_url, PHONE, SECRET, HOLD_DAYS)
    assert ("unsent_message", reply_id) in {(k["record"], k["record_id"]) for k in report.kept}
    with sessions.begin() as session:
        kept = session.get(OutboundMessage, reply_id)
        assert kept.body == "Queued just before the erasure." and kept.status == "queued"
        with_template = load_settings({**SENDER_ENVIRONMENT, "TWILIO_WHATSAPP_TEMPLATE_SID": "HX1"})
        assert plan(with_template, kept, session.get(Contact, kept.sender_id), utcnow()).params["to"] == "whatsapp:" + PHONE
    assert count(sessions, OutboundMessage, OutboundMessage.sender_id == held["sms"]) == 0
    assert count(sessions, OutboundMessage, OutboundMessage.sender_id == held["whatsapp"]) == 1  # not its sent reply


def test_with_no_hold_only_an_active_case_is_kept(sessions, database_url, held):
    report = subject.erase(sessions, database_url, PHONE, SECRET, hold_days=0)
    assert {k["record_id"] for k in report.kept if k["record"] == "case"} == {held["current"]}
    assert report.deleted["cases"] == 2


def test_nothing_can_be_sent_to_an_erased_number_until_the_parent_writes_again(sessions, database_url, held):
    with sessions.begin() as session:
        outbox.queue_message(session, held["sms"], "A reply queued before the erasure.", origin="staff")
    subject.erase(sessions, database_url, PHONE, SECRET, HOLD_DAYS)
    assert count(sessions, OutboundMessage, OutboundMessage.to_address == PHONE) == 0
    with sessions.begin() as session, pytest.raises(LookupError):
        outbox.queue_message(session, held["sms"], "A staff reply after the erasure.", origin="staff")
    with sessions.begin() as session:  # a row that slipped in as the erasure committed
        late = OutboundMessage(sender_id=held["sms"], to_address=PHONE, channel="sms", body="late", origin="bot",
                               ignores_opt_out=False, status="queued", attempts=0, next_attempt_at=NOW,
                               created_at=NOW, updated_at=NOW)
        session.add(late)
        session.flush()
        decision = plan(SENDER_SETTINGS, late, session.get(Contact, held["sms"]), utcnow())
        assert decision.suppress == "contact erased" and not decision.params
    with sessions.begin() as session:  # they text us again
        contacts.record_inbound(session, sender(PHONE), PHONE, Channel.SMS, "+447700900900", utcnow())
        rows = outbox.queue_message(session, sender(PHONE), "Welcome back.", origin="bot")
        assert plan(SENDER_SETTINGS, rows[0], session.get(Contact, sender(PHONE)), utcnow()).params["to"] == PHONE


def test_the_commands_print_json_and_refuse_a_number_not_in_e164(sessions, database_url, held, tmp_path):
    environment = {**os.environ, "DATABASE_URL": database_url, "BOT_VAR_DIR": str(tmp_path / "var"),
                   "SENDER_ID_SECRET": SECRET.decode()}
    environment.pop("TRACKER_STORE_URL", None)

    def bot(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True,
                              env=environment, cwd=PROJECT_ROOT)

    refused = bot("subject", "erase", "07700 900111")
    assert refused.returncode == 2 and "international form" in refused.stderr
    exported = json.loads(bot("subject", "export", PHONE).stdout)
    assert len(exported["cases"]) == 3
    erased = bot("subject", "erase", PHONE, "--json")
    assert erased.returncode == 0, erased.stderr
    assert {k["record_id"] for k in json.loads(erased.stdout)["kept"] if k["record"] == "case"} == {
        held["current"], held["last_month"]}
    after = json.loads(bot("subject", "export", PHONE).stdout)
    # Only what the open case (on WhatsApp) needs to reach the parent is left.
    assert [c["address"] for c in after["contacts"]] == ["whatsapp:" + PHONE]
    assert {e["sender_id"] for e in after["conversation_events"]} == {held["whatsapp"]}
    assert after["inbound_messages"] == []
    assert {c["id"] for c in after["cases"]} == {held["current"], held["last_month"]}
    assert {k["record_id"] for k in after["kept_after_erasure"]} == {held["current"], held["last_month"]}
