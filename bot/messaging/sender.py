"""Drains the outbox: sends each queued message through Twilio, in order per recipient.

Runs as a task in the Rasa server's event loop; database work goes to a thread and the twilio
client is asynchronous, so sending never blocks the loop that answers webhooks. Network errors,
429 and 5xx are retried with exponential backoff; any other refusal is recorded on the row with
Twilio's code (21610 opted out, 21617 too long, 63016 outside the WhatsApp window, …).
"""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import random
from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Set

from sqlalchemy.orm import sessionmaker

from bot.config import Settings
from bot.db.messaging import Channel, Contact, OutboundMessage
from bot.db.models import utcnow
from bot.messaging import contacts, outbox
from bot.messaging.twilio_client import SendError, TwilioApi

logger = logging.getLogger(__name__)

CONCURRENT_SENDS = 8
MAX_ATTEMPTS = 8
MAX_BACKOFF_SECONDS = 300
POLL_SECONDS = 1.0
OPTED_OUT = "21610"
OUTSIDE_WINDOW = "63016"
STATUS_PATH = "/webhooks/twilio/status"


@dataclass
class Plan:
    """What to do with one outbox row: Twilio parameters, or the reason not to send it."""

    params: Dict[str, Any] = field(default_factory=dict)
    suppress: Optional[str] = None
    fail: Optional[tuple] = None  # (error code, message)


def backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4 … seconds, capped, with jitter so retries after an outage do not arrive together."""
    seconds = min(2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)
    return dt.timedelta(seconds=seconds * random.uniform(0.8, 1.2))


def plan(settings: Settings, row: OutboundMessage, contact: Optional[Contact], now: dt.datetime) -> Plan:
    """Decide how `row` goes out: from which sender, as text or as the WhatsApp template, or not at all."""
    if contact is not None and contact.opted_out_at is not None and not row.ignores_opt_out:
        return Plan(suppress="parent opted out")
    params: Dict[str, Any] = {"to": row.to_address}
    sender = _sender(settings, row.channel, contact)
    if sender is None:
        return Plan(fail=("no_sender", f"no sending number configured for {row.channel}"))
    params.update(sender)
    if settings.public_url:
        params["status_callback"] = settings.public_url + STATUS_PATH
    if row.channel == Channel.WHATSAPP.value and not contacts.window_open(contact, now):
        if not settings.twilio_whatsapp_template_sid:
            return Plan(fail=(OUTSIDE_WINDOW, "outside the WhatsApp 24-hour window and "
                                              "TWILIO_WHATSAPP_TEMPLATE_SID is not set"))
        params["content_sid"] = settings.twilio_whatsapp_template_sid
        params["content_variables"] = json.dumps({"1": row.body})
    else:
        params["body"] = row.body
    return Plan(params=params)


def _sender(settings: Settings, channel: str, contact: Optional[Contact]) -> Optional[Dict[str, str]]:
    """The Messaging Service if configured, else the number the parent wrote to, else the channel's number."""
    if settings.twilio_messaging_service_sid:
        return {"messaging_service_sid": settings.twilio_messaging_service_sid}
    if contact is not None and contact.our_address:
        return {"from_": contact.our_address}
    configured = settings.twilio_whatsapp_from if channel == Channel.WHATSAPP.value else settings.twilio_sms_from
    return {"from_": configured} if configured else None


class OutboxSender:
    def __init__(self, settings: Settings, sessions: sessionmaker) -> None:
        self.settings, self.sessions = settings, sessions
        self._busy: Set[str] = set()
        self._wake = asyncio.Event()
        self._tasks: Set[asyncio.Task] = set()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Send until cancelled; picks up whatever a previous process left queued."""
        api = TwilioApi(self.settings)
        try:
            while True:
                self._wake.clear()
                free = CONCURRENT_SENDS - len(self._busy)
                rows = await asyncio.to_thread(self._due, free) if free > 0 else []
                for row in rows:
                    self._busy.add(row.to_address)
                    task = asyncio.create_task(self._send(api, row))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
                if not rows:
                    await self._sleep()
        finally:
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await api.close()

    async def _sleep(self) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), POLL_SECONDS)
        except asyncio.TimeoutError:
            pass

    def _due(self, limit: int):
        with self.sessions() as session:
            return outbox.due(session, utcnow(), self._busy, limit)

    async def _send(self, api: TwilioApi, row: OutboundMessage) -> None:
        try:
            decision = await asyncio.to_thread(self._plan, row)
            if decision.suppress or decision.fail:
                await asyncio.to_thread(self._record_not_sent, row, decision)
                return
            try:
                sent = await api.send(decision.params)
            except SendError as error:
                await asyncio.to_thread(self._record_error, row, error)
                return
            await asyncio.to_thread(self._record_sent, row, sent.sid, decision.params.get("content_sid"))
        except Exception:  # noqa: BLE001 - the row stays queued and is tried again
            logger.exception("outbox message %s: unexpected error while sending", row.id)
            await asyncio.sleep(POLL_SECONDS)
        finally:
            self._busy.discard(row.to_address)
            self._wake.set()

    def _plan(self, row: OutboundMessage) -> Plan:
        with self.sessions() as session:
            contact = session.get(Contact, row.sender_id) if row.sender_id else None
            return plan(self.settings, row, contact, utcnow())

    def _record_not_sent(self, row: OutboundMessage, decision: Plan) -> None:
        with self.sessions.begin() as session:
            if decision.suppress:
                outbox.mark_suppressed(session, row.id, decision.suppress)
            else:
                outbox.mark_failed(session, row.id, *decision.fail)
                logger.error("outbox message %s not sent: %s", row.id, decision.fail[1])

    def _record_sent(self, row: OutboundMessage, sid: str, content_sid: Optional[str]) -> None:
        with self.sessions.begin() as session:
            outbox.mark_sent(session, row.id, sid, content_sid)

    def _record_error(self, row: OutboundMessage, error: SendError) -> None:
        with self.sessions.begin() as session:
            if error.retryable and row.attempts + 1 < MAX_ATTEMPTS:
                outbox.mark_retry(session, row.id, error.code, error.message,
                                  utcnow() + backoff(row.attempts + 1))
                logger.warning("outbox message %s: Twilio error %s, will retry", row.id, error.code)
                return
            outbox.mark_failed(session, row.id, error.code, error.message)
            logger.error("outbox message %s failed: Twilio error %s", row.id, error.code)
            if error.code == OPTED_OUT and row.sender_id:
                contacts.opt_out(session, row.sender_id)
