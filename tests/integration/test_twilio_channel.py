"""SMS and WhatsApp through the running bot: signed webhooks in, the Twilio stub as Twilio out.

One bot (what `make run` starts) per database for the module, with a live Twilio channel whose API
host is the local stub; each test is a different parent (phone number). The last test kills the
Rasa server and so runs last.
"""
from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from typing import Iterator, List

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from bot.messaging import keywords
from bot.messaging.pseudonym import sender_id_for
from tests.conftest import throwaway_postgres_database
from tests.integration.running_bot import RunningBot, child_pid, start_bot
from tests.integration.twilio_client import (
    AUTH_TOKEN,
    OUR_SMS,
    OUR_WHATSAPP,
    PUBLIC_URL,
    TEMPLATE_SID,
    STATUS,
    WEBHOOK,
    Webhook,
    execute,
    new_sid,
    rows,
    twilio_env,
    user_message_ids,
)
from tests.twilio_stub import Failure, TwilioStub

SECRET = twilio_env("")["SENDER_ID_SECRET"].encode()
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


class Setup:
    def __init__(self, bot: RunningBot, url: str, stub: TwilioStub) -> None:
        self.bot, self.url, self.stub = bot, url, stub
        self.webhook = Webhook(bot.rasa_port)

    def replies_to(self, address: str, count: int = 1, timeout: float = 60) -> List[str]:
        """Wait until `address` has at least `count` messages from the stub's point of view."""
        assert self.stub.wait_for(lambda s: len(s.messages_to(address)) >= count, timeout), (
            f"{address} got {len(self.stub.messages_to(address))} messages, expected {count}")
        return [m.body for m in self.stub.messages_to(address)]

    def inbound(self, address: str) -> list:
        return rows(self.url, "SELECT * FROM inbound_messages WHERE sender_id = :s ORDER BY id",
                    s=sender_id_for(address, SECRET))

    def outbound(self, address: str) -> list:
        return rows(self.url, "SELECT * FROM outbound_messages WHERE to_address = :a ORDER BY id", a=address)

    def settle(self, address: str, timeout: float = 60) -> None:
        """Wait until every message from `address` is processed and nothing to it is still queued."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (all(r["status"] != "pending" for r in self.inbound(address))
                    and all(r["status"] not in ("queued", "sending") for r in self.outbound(address))):
                return
            time.sleep(0.2)
        raise AssertionError(f"messages from or to {address} still pending")


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def setup(request, tmp_path_factory, model_path) -> Iterator[Setup]:
    tmp_path = tmp_path_factory.mktemp(f"twilio-{request.param}")
    with contextlib.ExitStack() as stack:
        stub = stack.enter_context(TwilioStub())
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'app.db'}"
        else:
            url = stack.enter_context(throwaway_postgres_database())
        bot = start_bot(url, token="test-token", tmp_path=tmp_path, extra_env=twilio_env(stub.base_url))
        yield Setup(bot, url, stub)
        if bot.process.poll() is None:
            bot.stop_with_ctrl_c()


def parent(n: int, whatsapp: bool = False) -> str:
    return ("whatsapp:" if whatsapp else "") + f"+4477009{n:05d}"


def test_a_signed_sms_is_acknowledged_with_empty_twiml_and_answered_from_the_number_it_was_sent_to(setup):
    address = parent(1)
    assert setup.webhook.text(address, "what temp shud the room be") == (200, EMPTY_TWIML)
    [reply] = setup.replies_to(address)
    assert "16" in reply
    [sent] = setup.stub.messages_to(address)
    assert sent.params["From"] == OUR_SMS
    assert sent.params["StatusCallback"] == PUBLIC_URL + STATUS
    assert sent.account_sid.startswith("AC")


def test_trackers_and_logs_hold_a_pseudonym_not_the_phone_number(setup):
    address = parent(2)
    setup.webhook.text(address, "hiya")
    setup.replies_to(address)
    sender_id = sender_id_for(address, SECRET)
    assert user_message_ids(setup.url, sender_id)
    assert rows(setup.url, "SELECT count(*) AS n FROM events WHERE sender_id LIKE :p", p="%7700900002%")[0]["n"] == 0
    assert "7700900002" not in "".join(setup.bot.output)


def test_a_forged_or_unsigned_message_gets_403_is_not_stored_and_its_text_is_not_logged(setup):
    address = parent(3)
    form = {"MessageSid": new_sid(), "From": address, "To": OUR_SMS, "Body": "forged secret words"}
    assert setup.webhook.post(form, signature="")[0] == 403
    assert setup.webhook.post(form, signature="bm90IGEgc2lnbmF0dXJl")[0] == 403
    assert setup.webhook.post(form, signed_url="http://127.0.0.1:%d%s" % (setup.bot.rasa_port, WEBHOOK))[0] == 403
    time.sleep(0.5)
    assert setup.inbound(address) == []
    assert "forged secret words" not in "".join(setup.bot.output)
    assert "bad or missing signature" in "".join(setup.bot.output)


def test_the_same_message_sid_delivered_many_times_at_once_is_answered_once(setup):
    address = parent(4)
    sid = new_sid()
    results: List[int] = []
    threads = [threading.Thread(target=lambda: results.append(setup.webhook.text(address, "hello", sid=sid)[0]))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200] * 8
    setup.settle(address)
    assert len(setup.inbound(address)) == 1
    assert len(setup.stub.messages_to(address)) == len(setup.outbound(address)) >= 1
    assert user_message_ids(setup.url, sender_id_for(address, SECRET)) == [sid]


def test_a_burst_from_one_parent_is_processed_one_at_a_time_in_arrival_order(setup):
    address = parent(5)
    texts = ["hiya", "what temp shud the room be", "can baby sleep on her front", "thanks", "bye"]
    results: List[int] = []
    threads = [threading.Thread(target=lambda t=t: results.append(setup.webhook.text(address, t)[0]))
               for t in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200] * len(texts)
    setup.settle(address)
    inbound = setup.inbound(address)
    arrival_order = [r["message_sid"] for r in inbound]
    assert user_message_ids(setup.url, sender_id_for(address, SECRET)) == arrival_order
    finished = [r["processed_at"] for r in inbound]
    assert finished == sorted(finished)
    # Every reply went out in the order it was queued, and replies follow their messages' order.
    outbound = setup.outbound(address)
    assert [r["inbound_id"] for r in outbound] == sorted(r["inbound_id"] for r in outbound)
    sids = [r["twilio_sid"] for r in outbound]
    assert [m.sid for m in setup.stub.messages_to(address)] == sids


def test_stop_confirms_once_then_nothing_is_sent_until_start_and_help_explains_the_service(setup):
    address = parent(6, whatsapp=True)
    setup.webhook.text(address, "hiya")
    greeting_count = len(setup.replies_to(address))
    setup.webhook.text(address, "Stop")
    setup.settle(address)
    assert setup.replies_to(address)[greeting_count:] == [keywords.OPT_OUT_CONFIRMATION]
    setup.webhook.text(address, "what temp shud the room be")
    setup.settle(address)
    assert len(setup.stub.messages_to(address)) == greeting_count + 1
    assert setup.outbound(address)[-1]["status"] == "suppressed"
    stop_events = user_message_ids(setup.url, sender_id_for(address, SECRET))
    assert len(stop_events) == 2  # "Stop" never reached the bot; the later question did
    setup.webhook.text(address, "START")
    setup.webhook.text(address, "help")
    after = setup.replies_to(address, greeting_count + 3)[greeting_count + 1:]
    assert after == [keywords.OPT_IN_CONFIRMATION, keywords.HELP_TEXT]
    assert setup.stub.messages_to(address)[-1].params["From"] == OUR_WHATSAPP


def test_media_only_gets_a_kind_reply_and_text_beside_media_still_gets_risk_detection(setup):
    address = parent(7, whatsapp=True)
    media = dict(NumMedia="1", MediaUrl0="https://api.twilio.com/m/ME1", MediaContentType0="image/jpeg")
    assert setup.webhook.text(address, "", **media)[0] == 200
    assert setup.replies_to(address) == [keywords.MEDIA_ONLY_REPLY]
    setup.webhook.text(address, "hes not breathing", **media)
    setup.settle(address)
    [answer] = [m.body for m in setup.stub.messages_to(address)][1:]
    assert answer.startswith("*Call 999 now*")
    assert answer.endswith("\n\n" + keywords.MEDIA_BESIDE_TEXT_NOTE)


def test_a_shared_location_gets_a_reply_and_its_coordinates_are_not_kept(setup):
    address = parent(8, whatsapp=True)
    setup.webhook.text(address, "", Latitude="51.501", Longitude="-0.142", Address="Somewhere")
    assert setup.replies_to(address) == [keywords.LOCATION_REPLY]
    [row] = setup.inbound(address)
    assert row["has_location"] and "51.501" not in str(row)


def test_slash_restart_from_a_parent_is_text_not_a_command(setup):
    address = parent(9)
    setup.webhook.text(address, "hiya")
    setup.webhook.text(address, "/restart")
    setup.settle(address)
    sender_id = sender_id_for(address, SECRET)
    types = [r["type_name"] for r in rows(setup.url, "SELECT type_name FROM events WHERE sender_id = :s",
                                          s=sender_id)]
    assert "restarted" not in types and types.count("user") == 2


def test_every_odd_input_shape_gets_a_clear_answer_and_never_a_5xx(setup):
    address = parent(10)
    no_from = {"MessageSid": new_sid(), "To": OUR_SMS, "Body": "hello"}
    assert setup.webhook.post(no_from) == (400, "the request has no From")
    bad_utf8 = b"MessageSid=SM1&From=%2B447700900010&Body=%FF%FE"
    assert setup.webhook.post({}, raw=bad_utf8)[0] == 400
    assert setup.webhook.post({}, raw=b"") == (400, "the request has no From")  # signed, but empty
    long_text = ("how warm should the room be for baby at night " * 40)[:1600]
    assert setup.webhook.text(address, long_text)[0] == 200
    assert setup.webhook.text(address, "👶🍼😴 is it ok if baby sleeps on my chest? 💕")[0] == 200
    assert setup.webhook.text(address, "   ")[0] == 200
    setup.settle(address)
    statuses = [r["status"] for r in setup.inbound(address)]
    assert statuses == ["processed"] * 3
    assert keywords.EMPTY_REPLY in [m.body for m in setup.stub.messages_to(address)]


def test_status_callbacks_are_signature_checked_and_update_delivery(setup):
    address = parent(11)
    setup.webhook.text(address, "hiya")
    sid = setup.stub.messages_to(address)[0].sid if setup.replies_to(address) else None
    setup.settle(address)
    forged = {"MessageSid": sid, "MessageStatus": "failed", "ErrorCode": "30003"}
    assert setup.webhook.post(forged, path=STATUS, signature="forged")[0] == 403
    assert setup.webhook.post({"MessageSid": sid, "MessageStatus": "delivered"}, path=STATUS)[0] == 204
    assert [r["status"] for r in setup.outbound(address) if r["twilio_sid"] == sid] == ["delivered"]


def test_429_and_5xx_are_retried_and_21610_is_recorded_as_an_opt_out(setup):
    retried, refused = parent(12), parent(13)
    setup.stub.fail_to(retried, Failure(429, 20429, "Too Many Requests"), times=1)
    setup.webhook.text(retried, "hiya")
    assert setup.replies_to(retried, timeout=60)
    setup.stub.fail_to(refused, Failure(400, 21610, "Attempt to send to unsubscribed recipient"))
    setup.webhook.text(refused, "hiya")
    setup.settle(refused)
    assert {(r["status"], r["error_code"]) for r in setup.outbound(refused)} == {("failed", "21610")}
    opted_out = rows(setup.url, "SELECT opted_out_at FROM contacts WHERE address = :a", a=refused)
    assert opted_out[0]["opted_out_at"] is not None
    setup.stub.fail_to(retried, Failure(503, None, "Service Unavailable"), times=2)
    setup.webhook.text(retried, "thanks")
    setup.settle(retried)
    last = setup.outbound(retried)[-1]
    assert (last["status"], last["attempts"]) == ("sent", 3)


def test_a_staff_message_outside_the_whatsapp_window_goes_as_the_approved_template(setup):
    from bot.db.session import session_factory
    from bot.messaging.outbox import queue_message
    address = parent(14, whatsapp=True)
    setup.webhook.text(address, "hiya")
    count = len(setup.replies_to(address))
    setup.settle(address)
    execute(setup.url, "UPDATE contacts SET last_inbound_at = :t WHERE address = :a",
            t="2020-01-01 00:00:00.000000", a=address)
    with session_factory(setup.url).begin() as session:
        queue_message(session, sender_id_for(address, SECRET), "Your health visitor will call at 2pm.",
                      origin="staff")
    sent = setup.stub.messages_to(address) if setup.replies_to(address, count + 1) else []
    assert sent[-1].params["ContentSid"] == TEMPLATE_SID
    assert "Your health visitor will call at 2pm." in sent[-1].params["ContentVariables"]
    assert "Body" not in sent[-1].params


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutation=st.sampled_from(["change", "add", "remove", "url", "query", "truncate"]), data=st.data())
def test_any_mutation_of_a_signed_request_is_refused_by_the_server_and_nothing_is_stored(setup, mutation, data):
    address = parent(16)
    form = {"MessageSid": new_sid(), "AccountSid": "AC" + "0" * 32, "From": address, "To": OUR_SMS,
            "Body": data.draw(st.text(max_size=200)), "NumMedia": "0"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + WEBHOOK, form)
    path, sent = WEBHOOK, dict(form)
    if mutation == "change":
        sent["Body"] = form["Body"] + data.draw(st.text(min_size=1, max_size=5))
    elif mutation == "add":
        sent["Extra"] = ""
    elif mutation == "remove":
        del sent[data.draw(st.sampled_from(sorted(form)))]
    elif mutation == "url":
        signature = RequestValidator(AUTH_TOKEN).compute_signature(
            data.draw(st.sampled_from(["http://bot.example.org", "https://other.example.org"])) + WEBHOOK, form)
    elif mutation == "query":
        path = WEBHOOK + "?x=1"
    else:
        signature = signature[:data.draw(st.integers(0, len(signature) - 1))]
    assert setup.webhook.post(sent, path=path, signature=signature)[0] == 403
    assert not [r for r in setup.inbound(address) if r["message_sid"] == form["MessageSid"]]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.text(max_size=300), media=st.booleans())
def test_every_genuine_request_including_media_only_is_accepted_and_stored(setup, body, media):
    address = parent(17)
    sid = new_sid()
    extra = dict(NumMedia="1", MediaUrl0="https://api.twilio.com/m/ME1") if media else {}
    assert setup.webhook.text(address, "" if media else body, sid=sid, **extra)[0] == 200
    assert [r["message_sid"] for r in setup.inbound(address) if r["message_sid"] == sid] == [sid]


def test_a_message_acknowledged_just_before_the_server_is_killed_is_answered_after_restart(setup):
    """Runs last: kill -9 the Rasa server right after a 2xx; the restarted server answers."""
    address = parent(15)
    texts = ["hiya", "what temp shud the room be", "can baby sleep on her front", "is a sling ok"]
    killed = child_pid(setup.bot.process.pid, "run --model")
    for text in texts:
        assert setup.webhook.text(address, text)[0] == 200
    os.kill(killed, signal.SIGKILL)
    pending_at_kill = [r for r in setup.inbound(address) if r["status"] == "pending"]
    assert pending_at_kill, "every message was done before the kill; the test proved nothing"
    setup.settle(address, timeout=240)
    inbound = setup.inbound(address)
    assert [r["status"] for r in inbound] == ["processed"] * len(texts)
    assert user_message_ids(setup.url, sender_id_for(address, SECRET)) == [r["message_sid"] for r in inbound]
    replies = setup.stub.messages_to(address)
    assert len(replies) == len(setup.outbound(address)) and len({m.sid for m in replies}) == len(replies)
    assert {r["inbound_id"] for r in setup.outbound(address)} == {r["id"] for r in inbound}
