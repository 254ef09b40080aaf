"""The queue's order, overdue flags and filters; its refreshable fragment; and the on-call alerts
(case link only, once per reason) and the logs (no numbers, no message text)."""
from __future__ import annotations

import datetime as dt
import logging
import re

import sqlalchemy as sa

from bot.dashboard.alerts import send_due_alerts
from bot.dashboard.queue import load_queue
from bot.dashboard.serve import MaskPhoneNumbers
from bot.db.messaging import OutboundMessage
from bot.db.models import utcnow
from tests.dashboard.helpers import add_contact, make_case, settings_for, sign_in


def test_emergencies_come_first_then_the_case_that_used_most_of_its_target(sessions, settings):
    now = utcnow()
    high_old = make_case(sessions, at=now - dt.timedelta(hours=5))          # 125% of 4 h: overdue
    high_new = make_case(sessions, at=now - dt.timedelta(minutes=30))       # 12.5%
    emergency_new = make_case(sessions, level="emergency", category="emergency",
                              at=now - dt.timedelta(minutes=1))             # 7%
    emergency_late = make_case(sessions, level="emergency", category="emergency",
                               at=now - dt.timedelta(minutes=20))           # 133%: overdue
    rows = load_queue(sessions, settings, "default", now)
    assert [r.case.id for r in rows] == [emergency_late.id, emergency_new.id, high_old.id, high_new.id]
    assert [r.overdue for r in rows] == [True, False, True, False]


def test_the_queue_filters_by_status_and_category(app, sessions, staff):
    make_case(sessions, category="unsafe_sleep")
    abuse = make_case(sessions, category="domestic_abuse")
    closed = make_case(sessions)
    hv = sign_in(app.test_client(), "hv@example.nhs.uk")
    hv.post(f"/cases/{closed.id}/close", {"outcome": "no_further_action"})
    only_abuse = hv.client.get("/queue?category=domestic_abuse").text
    assert re.findall(r">Case (\d+)<", only_abuse) == [str(abuse.id)]
    assert re.findall(r">Case (\d+)<", hv.client.get("/queue?status=closed").text) == [str(closed.id)]
    assert str(closed.id) not in re.findall(r">Case (\d+)<", hv.client.get("/queue").text)


def test_the_queue_shows_category_phrase_consent_and_overdue_and_refreshes_as_a_fragment(app, sessions, staff):
    make_case(sessions, at=utcnow() - dt.timedelta(hours=5))
    hv = sign_in(app.test_client(), "hv@example.nhs.uk")
    page = hv.client.get("/queue").text
    for shown in ("unsafe sleep", "bed with me", "given", "overdue", "queue.js", 'data-refresh-url="/queue/rows'):
        assert shown in page, shown
    fragment = hv.client.get("/queue/rows").text
    assert "<table" in fragment and "overdue" in fragment and "<html" not in fragment


def test_on_call_is_alerted_once_per_new_case_and_again_once_when_unclaimed_at_target(database_url, tmp_path, sessions, staff):
    settings = settings_for(database_url, tmp_path, ON_CALL_NUMBER="+447700900999",
                            DASHBOARD_URL="https://hv.example.nhs.uk")
    now = utcnow()
    emergency = make_case(sessions, level="emergency", category="emergency", text="hes not breathing",
                          at=now)
    assert send_due_alerts(sessions, settings, now) == 1
    assert send_due_alerts(sessions, settings, now + dt.timedelta(minutes=1)) == 0
    assert send_due_alerts(sessions, settings, now + dt.timedelta(minutes=15)) == 1
    assert send_due_alerts(sessions, settings, now + dt.timedelta(minutes=30)) == 0
    with sessions() as session:
        sent = session.execute(sa.select(OutboundMessage).order_by(OutboundMessage.id)).scalars().all()
    assert [(m.to_address, m.origin) for m in sent] == [("+447700900999", "alert")] * 2
    assert all(m.body.endswith(f"https://hv.example.nhs.uk/cases/{emergency.id}") for m in sent)
    assert all("breathing" not in m.body for m in sent)


def test_a_claimed_case_is_not_alerted_again_and_no_number_means_no_alerts(app, database_url, tmp_path, sessions, staff):
    settings = settings_for(database_url, tmp_path, ON_CALL_NUMBER="+447700900999")
    case = make_case(sessions)
    assert send_due_alerts(sessions, settings_for(database_url, tmp_path)) == 0
    assert send_due_alerts(sessions, settings) == 1
    sign_in(app.test_client(), "hv@example.nhs.uk").post(f"/cases/{case.id}/claim", {})
    assert send_due_alerts(sessions, settings, utcnow() + dt.timedelta(hours=5)) == 0


def test_logs_carry_no_phone_numbers_and_no_message_text(app, sessions, staff, caplog):
    caplog.set_level(logging.DEBUG)
    case = make_case(sessions, text="my partner hit me last night")
    add_contact(sessions, case.sender_id, "+447700900555")
    hv = sign_in(app.test_client(), "hv@example.nhs.uk")
    hv.client.get(f"/cases/{case.id}")
    hv.post(f"/cases/{case.id}/claim", {})
    hv.post(f"/cases/{case.id}/notes", {"text": "Secret note about the family"})
    hv.post(f"/cases/{case.id}/reply", {"text": "Private reply to the parent"})
    hv.post(f"/cases/{case.id}/close", {"outcome": "referred_police"})
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert f"case {case.id} closed" in logged  # the logs do say what happened
    for private in ("7700900555", "partner hit me", "Secret note", "Private reply", case.sender_id):
        assert private not in logged


def test_the_log_filter_masks_anything_that_looks_like_a_phone_number():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "sent to %s ok", ("+44 7700 900123",), None)
    MaskPhoneNumbers().filter(record)
    assert record.getMessage() == "sent to [number] ok"
