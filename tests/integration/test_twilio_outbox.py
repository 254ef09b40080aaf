"""The outbox and contacts on SQLite and PostgreSQL: queueing, splitting, order, opt-out, status,
window, and the sender against the Twilio stub: a message in doubt (its sender died, or Twilio's
answer never came) is sent exactly once."""
from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from typing import Callable

import pytest
import sqlalchemy as sa

from bot.config import Settings, load_settings
from bot.db.locks import OUTBOX, KeyLocks
from bot.db.messaging import Channel, EarlyStatus, OutboundStatus
from bot.db.migrate import upgrade
from bot.db.models import utcnow
from bot.db.session import engine_for, session_factory
from bot.messaging import contacts, outbox
from bot.messaging.sender import OutboxSender
from bot.messaging.twilio_client import TwilioApi
from tests.twilio_stub import Delay, TwilioStub

PARENT_SMS = "+447700900001"
PARENT_WA = "whatsapp:+447700900002"
OUR_SMS = "+447700900900"


@pytest.fixture
def sessions(database_url):
    return session_factory(database_url)


def add_contact(sessions, sender_id: str, address: str, at=None) -> None:
    with sessions.begin() as session:
        contacts.record_inbound(session, sender_id, address, Channel(
            "whatsapp" if address.startswith("whatsapp:") else "sms"), OUR_SMS, at or utcnow())


def test_a_long_sms_reply_is_queued_as_whole_sentence_parts_in_order(sessions):
    add_contact(sessions, "sms-a", PARENT_SMS)
    sentences = [f"Sentence number {n} is about keeping baby safe at night." for n in range(20)]
    with sessions.begin() as session:
        rows = outbox.queue_message(session, "sms-a", " ".join(sentences), origin="staff")
    assert len(rows) > 1
    assert " ".join(r.body for r in rows) == " ".join(sentences)
    assert all(r.body.endswith(".") for r in rows)
    assert [r.id for r in rows] == sorted(r.id for r in rows)
    assert {(r.to_address, r.origin, r.status) for r in rows} == {(PARENT_SMS, "staff", "queued")}


def test_queueing_to_a_sender_id_that_never_texted_or_blank_text_or_an_unknown_origin_is_refused(sessions):
    with sessions.begin() as session, pytest.raises(LookupError):
        outbox.queue_message(session, "rest-user", "hello", origin="staff")
    with sessions.begin() as session, pytest.raises(ValueError):
        outbox.queue_to_number(session, OUR_SMS, "hello", origin="nobody")
    with sessions.begin() as session, pytest.raises(ValueError):
        outbox.queue_to_number(session, OUR_SMS, "  \n ", origin="staff")


def test_only_the_oldest_queued_message_of_each_recipient_is_claimed(sessions):
    add_contact(sessions, "sms-a", PARENT_SMS)
    add_contact(sessions, "wa-b", PARENT_WA)
    with sessions.begin() as session:
        first_a = outbox.queue_message(session, "sms-a", "one", origin="bot")[0].id
        outbox.queue_message(session, "sms-a", "two", origin="bot")
        first_b = outbox.queue_message(session, "wa-b", "uno", origin="bot")[0].id
        alert = outbox.queue_to_number(session, "+447700900123", "case 7 is urgent", origin="alert")[0].id
    later = utcnow() + dt.timedelta(seconds=1)
    locks = KeyLocks(sessions.kw["bind"], OUTBOX)
    assert locks.try_acquire(PARENT_SMS)  # this process is busy with that recipient
    with sessions.begin() as session:
        assert [r.id for r in outbox.claim(session, later, locks, limit=10)] == [first_b, alert]
    locks.close()
    with sessions.begin() as session:
        # "two" waits while "one" is queued, and while it is being sent.
        assert [r.id for r in outbox.claim(session, later, locks, limit=10)] == [first_a]
    locks.close()
    with sessions.begin() as session:
        assert outbox.claim(session, later, locks, limit=10) == []
        assert [r.id for r in outbox.in_doubt(session, later)] == [first_a, first_b, alert]
        assert outbox.in_doubt(session, later - dt.timedelta(minutes=1)) == []  # claimed too recently
        outbox.mark_retry(session, first_a, "429", "too many requests", later + dt.timedelta(minutes=1))
    with sessions.begin() as session:
        # Backing off, "one" is queued again, and "two" still must not overtake it.
        assert outbox.claim(session, later, locks, limit=10) == []
        assert session.get(outbox.OutboundMessage, first_a).status == "queued"
    locks.close()


def test_opting_out_suppresses_everything_queued_except_the_confirmation(sessions):
    add_contact(sessions, "sms-a", PARENT_SMS)
    with sessions.begin() as session:
        waiting = outbox.queue_message(session, "sms-a", "a reply still waiting", origin="bot")[0].id
        contacts.opt_out(session, "sms-a")
        confirmation = outbox.queue_message(session, "sms-a", "You will get no more messages.",
                                            origin="system", ignores_opt_out=True)[0].id
    with sessions.begin() as session, contextlib.closing(KeyLocks(sessions.kw["bind"], OUTBOX)) as locks:
        assert contacts.is_opted_out(session, "sms-a")
        assert [r.id for r in outbox.claim(session, utcnow(), locks, limit=10)] == [confirmation]
        assert session.get(outbox.OutboundMessage, waiting).status == OutboundStatus.SUPPRESSED.value
        contacts.opt_in(session, "sms-a")
    with sessions.begin() as session:
        assert not contacts.is_opted_out(session, "sms-a")


def test_status_callbacks_never_move_a_message_backwards(sessions):
    add_contact(sessions, "sms-a", PARENT_SMS)
    with sessions.begin() as session:
        row_id = outbox.queue_message(session, "sms-a", "hi", origin="bot")[0].id
        outbox.mark_sent(session, row_id, "SM123", None)
    with sessions.begin() as session:
        assert outbox.apply_status(session, "SM123", "delivered", None)
        assert outbox.apply_status(session, "SM123", "sent", None)
        assert not outbox.apply_status(session, "SM123", "exploded", None)
    with sessions.begin() as session:
        assert session.get(outbox.OutboundMessage, row_id).status == "delivered"


def test_a_status_reported_before_the_send_recorded_its_sid_is_applied_when_it_is(sessions):
    """Twilio can post the callback before its answer to Messages.create reaches the sender."""
    add_contact(sessions, "sms-a", PARENT_SMS)
    with sessions.begin() as session:
        first_id, second_id = (row.id for row in (outbox.queue_message(session, "sms-a", text, origin="bot")[0]
                                                   for text in ("First.", "Second.")))
    with sessions.begin() as session:
        assert outbox.apply_status(session, "SM-early", "delivered", None)
        assert outbox.apply_status(session, "SM-early", "sent", None)  # late and out of order
        assert outbox.apply_status(session, "SM-late", "undelivered", "30003")
    with sessions.begin() as session:
        outbox.mark_sent(session, first_id, "SM-early", None)
        outbox.mark_sent(session, second_id, "SM-late", None)
    with sessions() as session:
        first, second = (session.get(outbox.OutboundMessage, i) for i in (first_id, second_id))
        assert (first.status, first.error_code) == ("delivered", None)
        assert (second.status, second.error_code) == ("undelivered", "30003")
        assert session.execute(sa.select(sa.func.count()).select_from(EarlyStatus)).scalar_one() == 0


def test_an_early_status_whose_sid_never_comes_is_deleted_after_a_day(sessions):
    with sessions.begin() as session:
        outbox.apply_status(session, "SM-other-app", "delivered", None)
        session.get(EarlyStatus, "SM-other-app").received_at = utcnow() - outbox.EARLY_STATUS_KEPT - dt.timedelta(minutes=1)
    with sessions.begin() as session:
        outbox.apply_status(session, "SM-next", "sent", None)
    with sessions() as session:
        assert session.execute(sa.select(EarlyStatus.twilio_sid)).scalars().all() == ["SM-next"]


def test_the_whatsapp_window_closes_24_hours_after_the_parents_last_message(sessions):
    long_ago = utcnow() - dt.timedelta(hours=25)
    add_contact(sessions, "wa-b", PARENT_WA, at=long_ago)
    add_contact(sessions, "sms-a", PARENT_SMS, at=long_ago)
    with sessions.begin() as session:
        assert not outbox.whatsapp_window_open(session, "wa-b")
        assert outbox.whatsapp_window_open(session, "sms-a")  # SMS has no window
        contacts.record_inbound(session, "wa-b", PARENT_WA, Channel.WHATSAPP, None, utcnow())
    with sessions.begin() as session:
        assert outbox.whatsapp_window_open(session, "wa-b")
        # An older message processed late does not close the window again.
        contacts.record_inbound(session, "wa-b", PARENT_WA, Channel.WHATSAPP, None, long_ago)
    with sessions.begin() as session:
        assert outbox.whatsapp_window_open(session, "wa-b")
        assert contacts.contact(session, "wa-b").our_address == OUR_SMS


def stub_settings(stub: TwilioStub, database_url: str) -> Settings:
    return load_settings({"TWILIO_AUTH_TOKEN": "t", "TWILIO_ACCOUNT_SID": "AC1", "PUBLIC_URL": "https://x.org",
                          "TWILIO_API_BASE": stub.base_url, "TWILIO_SMS_FROM": OUR_SMS,
                          "DATABASE_URL": database_url})


async def settle_once(settings: Settings, sessions, locks: KeyLocks, request_timeout: float) -> bool:
    """One pass of a sender's settling, as a replica makes at start and every few seconds."""
    api = TwilioApi(settings)
    try:
        return await OutboxSender(settings, sessions, locks, request_timeout)._settled(api)
    finally:
        await api.close()


async def run_sender_until(settings: Settings, sessions, done: Callable[[], bool], request_timeout: float,
                           timeout: float = 30) -> None:
    """Run a whole sender (one replica's) until `done()` holds."""
    locks = KeyLocks(sessions.kw["bind"], OUTBOX)
    task = asyncio.create_task(OutboxSender(settings, sessions, locks, request_timeout).run())
    try:
        deadline = time.monotonic() + timeout
        while not await asyncio.to_thread(done):
            assert time.monotonic() < deadline, "the sender did not finish in time"
            assert not task.done(), task
            await asyncio.sleep(0.1)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        locks.close()


def status_of(sessions, row_id: int) -> str:
    with sessions() as session:
        return session.get(outbox.OutboundMessage, row_id).status


def test_a_message_in_doubt_after_a_crash_is_marked_sent_if_twilio_has_it_and_queued_again_if_not(
        database_url, sessions):
    """The sender, started against the stub, settles "sending" rows left by a dead process."""
    add_contact(sessions, "sms-a", PARENT_SMS)
    with sessions.begin() as session:
        went = outbox.queue_message(session, "sms-a", "Sleep baby on their back.", origin="bot")[0].id
        lost = outbox.queue_to_number(session, "+447700900123", "Case 3 is urgent.", origin="alert")[0].id
        # Both were being sent when the process died.
        dead = KeyLocks(sessions.kw["bind"], OUTBOX)
        assert len(outbox.claim(session, utcnow(), dead, limit=10)) == 2
    dead.close()
    with TwilioStub() as stub:
        settings = stub_settings(stub, database_url)

        async def settle() -> bool:
            api = TwilioApi(settings)
            try:
                with sessions() as session:
                    body = session.get(outbox.OutboundMessage, went).body
                await api.send({"to": PARENT_SMS, "from_": OUR_SMS, "body": body})  # it did reach Twilio
            finally:
                await api.close()
            locks = KeyLocks(sessions.kw["bind"], OUTBOX)
            try:
                # Too soon (claimed less than twice a 30 s request timeout ago, however slow the
                # machine): a request for them might still be on its way to Twilio.
                assert await settle_once(settings, sessions, locks, request_timeout=30)
                assert (status_of(sessions, went), status_of(sessions, lost)) == ("sending", "sending")
                await asyncio.sleep(0.5)  # settle_after: twice the request timeout
                return await settle_once(settings, sessions, locks, request_timeout=0.25)
            finally:
                locks.close()

        assert asyncio.run(settle())
        [twilio_message] = stub.sent
    with sessions.begin() as session:
        first, second = session.get(outbox.OutboundMessage, went), session.get(outbox.OutboundMessage, lost)
        assert (first.status, first.twilio_sid) == ("sent", twilio_message.sid)
        assert (second.status, second.twilio_sid) == ("queued", None)


def test_a_send_whose_answer_never_came_though_twilio_took_it_is_settled_as_sent_not_sent_again(
        database_url, sessions):
    """Twilio takes the message but answers after the sender's timeout: the sender must not
    read the timeout as "not sent" and send it again; Twilio's list says it went."""
    add_contact(sessions, "sms-a", PARENT_SMS)
    with sessions.begin() as session:
        row_id = outbox.queue_message(session, "sms-a", "Sleep baby on their back.", origin="bot")[0].id
    with TwilioStub() as stub:
        stub.delay_next(Delay(answer_after=2.0))
        asyncio.run(run_sender_until(stub_settings(stub, database_url), sessions,
                                     lambda: status_of(sessions, row_id) == "sent", request_timeout=0.5))
        sent = stub.messages_to(PARENT_SMS)
    assert len(sent) == 1, f"Twilio got the message {len(sent)} times"
    with sessions() as session:
        assert session.get(outbox.OutboundMessage, row_id).twilio_sid == sent[0].sid


def test_a_request_still_on_its_way_when_its_sender_died_is_not_settled_as_unsent(database_url, sessions):
    """A replica dies with its request on the wire; Twilio takes the message a moment later. A
    sender that asked Twilio straight away would find nothing, queue it again and send it twice."""
    add_contact(sessions, "sms-a", PARENT_SMS)
    with sessions.begin() as session:
        row_id = outbox.queue_message(session, "sms-a", "Sleep baby on their back.", origin="bot")[0].id
        dead = KeyLocks(sessions.kw["bind"], OUTBOX)
        [row] = outbox.claim(session, utcnow(), dead, limit=10)
        body = row.body
    with TwilioStub() as stub:
        stub.delay_next(Delay(accept_after=1.5))
        settings = stub_settings(stub, database_url)

        async def die_mid_request_then_run_another_sender() -> None:
            api = TwilioApi(settings)
            on_the_wire = asyncio.create_task(api.send({"to": PARENT_SMS, "from_": OUR_SMS, "body": body}))
            await asyncio.sleep(0.1)
            dead.close()  # kill -9: its locks go; its request is already with Twilio
            try:
                await run_sender_until(settings, sessions, lambda: status_of(sessions, row_id) == "sent",
                                       request_timeout=2.0)
            finally:
                await asyncio.gather(on_the_wire, return_exceptions=True)
                await api.close()

        asyncio.run(die_mid_request_then_run_another_sender())
        sent = stub.messages_to(PARENT_SMS)
    assert len(sent) == 1, f"Twilio got the message {len(sent)} times"
    with sessions() as session:
        assert session.get(outbox.OutboundMessage, row_id).twilio_sid == sent[0].sid


def test_a_claim_the_sender_reaches_after_the_request_timeout_is_queued_again_not_sent(database_url, sessions):
    """Settling trusts that no request leaves later than the timeout after its claim; a sender
    that was held up that long (a stalled event loop) must not send."""
    add_contact(sessions, "sms-a", PARENT_SMS)
    with sessions.begin() as session:
        row_id = outbox.queue_message(session, "sms-a", "Sleep baby on their back.", origin="bot")[0].id
    with TwilioStub() as stub:
        settings = stub_settings(stub, database_url)

        async def claim_then_stall() -> None:
            locks = KeyLocks(sessions.kw["bind"], OUTBOX)
            sender = OutboxSender(settings, sessions, locks, request_timeout=0.3)
            api = TwilioApi(settings)
            try:
                [(row, decision)] = await sender._next_rows()
                time.sleep(0.4)  # the event loop is blocked past the request timeout
                await sender._send(api, row, decision)
            finally:
                await api.close()
                locks.close()

        asyncio.run(claim_then_stall())
        assert stub.sent == []
    with sessions() as session:
        row = session.get(outbox.OutboundMessage, row_id)
        assert (row.status, row.error_code, row.attempts) == ("queued", "late_claim", 1)


@pytest.mark.postgres
def test_two_replicas_never_claim_one_message_and_a_live_replicas_send_in_progress_is_not_settled(postgres_url):
    """Two replicas are two lock connections: the second waits on the first's lock, not on luck."""
    upgrade(postgres_url)
    sessions = session_factory(postgres_url)
    add_contact(sessions, "sms-a", PARENT_SMS)
    with sessions.begin() as session:
        row_id = outbox.queue_message(session, "sms-a", "Sleep baby on their back.", origin="bot")[0].id
    replica_a, replica_b = (KeyLocks(engine_for(postgres_url), OUTBOX) for _ in range(2))
    with sessions.begin() as claiming_a:
        assert [r.id for r in outbox.claim(claiming_a, utcnow(), replica_a, limit=10)] == [row_id]
        # Before A commits, B still reads the row as queued: only the lock keeps B from it.
        with sessions.begin() as claiming_b:
            assert outbox.claim(claiming_b, utcnow(), replica_b, limit=10) == []
    with TwilioStub() as stub:
        settings = stub_settings(stub, postgres_url)
        time.sleep(0.5)  # old enough to settle, were A not alive
        assert asyncio.run(settle_once(settings, sessions, replica_b, request_timeout=0.25))
        assert status_of(sessions, row_id) == "sending"  # A is still on it
        replica_a.close()  # A dies (kill -9 closes its connection the same way)
        # PostgreSQL frees A's locks once its backend has gone, a moment later: B's next checks.
        deadline = time.monotonic() + 10
        while status_of(sessions, row_id) == "sending" and time.monotonic() < deadline:
            assert asyncio.run(settle_once(settings, sessions, replica_b, request_timeout=0.25))
    assert status_of(sessions, row_id) == "queued"  # Twilio never got it
    replica_b.close()
