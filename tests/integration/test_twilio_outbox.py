"""The outbox and contacts on SQLite and PostgreSQL: queueing, splitting, order, opt-out, status, window."""
from __future__ import annotations

import datetime as dt

import pytest

from bot.db.locks import OUTBOX, KeyLocks
from bot.db.messaging import Channel, OutboundStatus
from bot.db.migrate import upgrade
from bot.db.models import utcnow
from bot.db.session import engine_for, session_factory
from bot.messaging import contacts, outbox

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
        assert [r.id for r in outbox.in_doubt(session)] == [first_a, first_b, alert]
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
    with sessions.begin() as session:
        assert contacts.is_opted_out(session, "sms-a")
        assert [r.id for r in outbox.claim(session, utcnow(), KeyLocks(sessions.kw["bind"], OUTBOX),
                                           limit=10)] == [confirmation]
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
        assert not outbox.apply_status(session, "SM-not-ours", "delivered", None)
        assert not outbox.apply_status(session, "SM123", "exploded", None)
    with sessions.begin() as session:
        assert session.get(outbox.OutboundMessage, row_id).status == "delivered"


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


def test_a_message_in_doubt_after_a_crash_is_marked_sent_if_twilio_has_it_and_queued_again_if_not(
        database_url, sessions):
    """The sender, started against the stub, settles "sending" rows left by a dead process."""
    import asyncio

    from bot.config import load_settings
    from bot.messaging.sender import OutboxSender
    from bot.messaging.twilio_client import TwilioApi
    from tests.twilio_stub import TwilioStub

    add_contact(sessions, "sms-a", PARENT_SMS)
    with sessions.begin() as session:
        went = outbox.queue_message(session, "sms-a", "Sleep baby on their back.", origin="bot")[0].id
        lost = outbox.queue_to_number(session, "+447700900123", "Case 3 is urgent.", origin="alert")[0].id
        # Both were being sent when the process died.
        dead = KeyLocks(sessions.kw["bind"], OUTBOX)
        assert len(outbox.claim(session, utcnow(), dead, limit=10)) == 2
    dead.close()
    with TwilioStub() as stub:
        settings = load_settings({"TWILIO_AUTH_TOKEN": "t", "TWILIO_ACCOUNT_SID": "AC1", "PUBLIC_URL": "https://x.org",
                                  "TWILIO_API_BASE": stub.base_url, "DATABASE_URL": database_url})

        async def settle() -> bool:
            api = TwilioApi(settings)
            try:
                with sessions() as session:
                    body = session.get(outbox.OutboundMessage, went).body
                await api.send({"to": PARENT_SMS, "from_": OUR_SMS, "body": body})  # it did reach Twilio
                locks = KeyLocks(sessions.kw["bind"], OUTBOX)
                try:
                    return await OutboxSender(settings, sessions, locks)._settled(api)
                finally:
                    locks.close()
            finally:
                await api.close()

        assert asyncio.run(settle())
        [twilio_message] = stub.sent
    with sessions.begin() as session:
        first, second = session.get(outbox.OutboundMessage, went), session.get(outbox.OutboundMessage, lost)
        assert (first.status, first.twilio_sid) == ("sent", twilio_message.sid)
        assert (second.status, second.twilio_sid) == ("queued", None)


@pytest.mark.postgres
def test_two_replicas_never_claim_one_message_and_a_live_replicas_send_in_progress_is_not_settled(postgres_url):
    """Two replicas are two lock connections: the second waits on the first's lock, not on luck."""
    import asyncio

    from bot.config import load_settings
    from bot.messaging.sender import OutboxSender
    from bot.messaging.twilio_client import TwilioApi
    from tests.twilio_stub import TwilioStub

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
        settings = load_settings({"TWILIO_AUTH_TOKEN": "t", "TWILIO_ACCOUNT_SID": "AC1",
                                  "PUBLIC_URL": "https://x.org", "TWILIO_API_BASE": stub.base_url,
                                  "DATABASE_URL": postgres_url})

        async def settle_from_b() -> bool:
            api = TwilioApi(settings)
            try:
                return await OutboxSender(settings, sessions, replica_b)._settled(api)
            finally:
                await api.close()

        assert asyncio.run(settle_from_b())
        with sessions() as session:
            assert session.get(outbox.OutboundMessage, row_id).status == "sending"  # A is still on it
        replica_a.close()  # A dies (kill -9 closes its connection the same way)
        assert asyncio.run(settle_from_b())
    with sessions() as session:
        assert session.get(outbox.OutboundMessage, row_id).status == "queued"  # Twilio never got it
    replica_b.close()
