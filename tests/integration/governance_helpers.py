"""Records as the running service writes them, for the retention and subject-request tests: Rasa's
own SQL tracker store for conversations, the real services for contacts, messages and cases."""
from __future__ import annotations

import asyncio
import datetime as dt
from typing import Iterable, Optional

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.orm import sessionmaker

from bot.db.messaging import Channel, InboundMessage, InboundStatus, OutboundStatus
from bot.db.models import Handoff, utcnow
from bot.db.session import session_factory
from bot.handoffs.service import HandoffService, Offer
from bot.messaging import contacts, outbox
from bot.messaging.pseudonym import channel_of, sender_id_for

SECRET = b"governance-test-key"


# One clock for a test module's records: every age is counted back from the same instant.
NOW = utcnow()


def ago(days: int) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


@pytest.fixture
def sessions(database_url):
    return session_factory(database_url)


def sender(address: str) -> str:
    return sender_id_for(address, SECRET)


def save_conversation(tracker_store_url: str, sender_id: str, texts: Iterable[str], at: dt.datetime) -> None:
    """A conversation saved by Rasa's SQL tracker store, its events stamped `at`."""
    store = SQLTrackerStore(Domain.empty(), host=tracker_store_url)
    tracker = DialogueStateTracker(sender_id, slots=[])
    for n, text in enumerate(texts):
        tracker.update(UserUttered(text, timestamp=at.timestamp() + 2 * n))
        tracker.update(BotUttered(f"answer to {text}", timestamp=at.timestamp() + 2 * n + 1))
    asyncio.run(store.save(tracker))
    store.engine.dispose()


def parent_writes(sessions: sessionmaker, address: str, text: str, at: dt.datetime,
                  status: InboundStatus = InboundStatus.PROCESSED, reply: Optional[str] = "a reply",
                  reply_status: OutboundStatus = OutboundStatus.SENT) -> str:
    """A message in (and the bot's reply out) as the Twilio channel records them; the sender id."""
    sender_id = sender(address)
    with sessions.begin() as session:
        contacts.record_inbound(session, sender_id, address, channel_of(address), "+447700900900", at)
        inbound = InboundMessage(message_sid=f"SM{abs(hash((address, text, at)))}", sender_id=sender_id,
                                 channel=channel_of(address).value, body=text, status=status.value,
                                 received_at=at, processed_at=at)
        session.add(inbound)
        session.flush()
        if reply:
            for row in outbox.queue_message(session, sender_id, reply, origin="bot", inbound_id=inbound.id):
                row.status, row.created_at = reply_status.value, at
    return sender_id


def open_case(sessions: sessionmaker, sender_id: str, at: dt.datetime, offer: str) -> Handoff:
    service = HandoffService(sessions)
    case = service.accept(Offer(offer_id=offer, sender_id=sender_id, channel=Channel.SMS.value,
                                category="sleep_emergency", level="emergency", matched="not breathing",
                                wording_version="v1", wording_text="May we share this with a health visitor?",
                                trigger_messages=[{"text": "he is not breathing", "at": at.isoformat()}]), at)
    service.record_message(sender_id, "still worried", now=at)
    return case


def closed_case(sessions: sessionmaker, sender_id: str, at: dt.datetime, offer: str) -> Handoff:
    case = open_case(sessions, sender_id, at, offer)
    return HandoffService(sessions).close(case.id, "advice_given", now=at)


def decline(sessions: sessionmaker, sender_id: str, at: dt.datetime) -> None:
    HandoffService(sessions).decline(Offer(offer_id=f"declined-{sender_id}-{at.timestamp()}", sender_id=sender_id,
                                           channel="sms", category="unsafe_sleep", level="high", matched=None,
                                           wording_version="v1", wording_text="May we share?"), at)


def count(sessions: sessionmaker, model, *conditions) -> int:
    with sessions() as session:
        return session.execute(sa.select(sa.func.count()).select_from(model).where(*conditions)).scalar_one()


def tracker_events(tracker_store_url: str, sender_id: str) -> int:
    from bot.db.session import engine_for

    with engine_for(tracker_store_url).connect() as connection:
        return connection.execute(sa.text("SELECT count(*) FROM events WHERE sender_id = :s"),
                                  {"s": sender_id}).scalar_one()
