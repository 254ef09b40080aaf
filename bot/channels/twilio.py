"""The project's Twilio channel for SMS and WhatsApp (credentials.yml: bot.channels.twilio.TwilioChannel).

POST /webhooks/twilio/webhook takes every inbound message. A request is answered only after it
has proved it came from Twilio (X-Twilio-Signature, checked against PUBLIC_URL) and the message is
committed to the inbox; then Twilio gets an empty TwiML 200 at once, and the inbox worker talks to
Rasa and queues the replies in the outbox, which the sender drains through the twilio REST client.
POST /webhooks/twilio/status records delivery statuses, signature-checked the same way.

Without TWILIO_AUTH_TOKEN both refuse every request (403): an unsigned message is never accepted.
The worker and the sender run as tasks in the Rasa server's event loop, started and stopped with it,
beside the one that keeps the loaded model out of garbage collection (bot/gc_freeze.py).
"""
from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.exc import SQLAlchemyError
from twilio.request_validator import RequestValidator

from bot.alerts import DATABASE_UNAVAILABLE, alert
from bot.channels.twilio_request import (
    MalformedRequest,
    arrival_from,
    is_genuine,
    parse_form,
    signed_url,
)
from bot.config import Settings, get_settings
from bot.db import locks
from bot.db.messaging import InboundMessage
from bot.db.session import engine_for, session_factory
from bot.dialogue import action_result_schema  # noqa: F401  (installs the faster action-result check)
from bot.dialogue import graph_runner  # noqa: F401  (installs the sequential graph runner)
from bot.gc_freeze import FreezeAfterEachModel
from bot.messaging import inbox, outbox
from bot.messaging.pseudonym import load_secret
from bot.messaging.sender import OutboxSender
from bot.messaging.worker import InboxWorker

logger = logging.getLogger(__name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
# Threads for the server's database calls (`asyncio.to_thread`: webhook stores, tracker reads and
# saves, the worker's and sender's commits). Python's default on 2 cores is 6, fewer than the calls
# in flight when the inbox worker serves CONCURRENT_PARENTS parents, and a call waiting for a
# thread holds up its parent's turn however idle the database is.
DATABASE_THREADS = 32


def use_database_threads(loop: asyncio.AbstractEventLoop) -> None:
    """Give `loop` DATABASE_THREADS threads for `asyncio.to_thread` (Rasa's server calls this once it runs)."""
    loop.set_default_executor(ThreadPoolExecutor(DATABASE_THREADS, thread_name_prefix="database"))


class TwilioChannel(InputChannel):
    """Signed, durable, ordered SMS and WhatsApp for Rasa, replacing rasa.core.channels.twilio."""

    @classmethod
    def name(cls) -> Text:
        return "twilio"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        # Everything comes from bot/config.py, so credentials.yml holds no secrets.
        return cls(get_settings())

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.live = bool(settings.twilio_auth_token)
        self.sessions = session_factory(settings.database_url)
        self.validator = RequestValidator(settings.twilio_auth_token) if self.live else None
        self.secret = load_secret(settings) if self.live else b""
        self.worker: Optional[InboxWorker] = None
        self.sender: Optional[OutboxSender] = None
        self._tasks: List[asyncio.Task] = []

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = Blueprint("project_twilio", __name__)

        @blueprint.listener("after_server_start")
        async def start_workers(app: Any, _loop: Any) -> None:
            use_database_threads(asyncio.get_running_loop())
            self._tasks = [asyncio.create_task(FreezeAfterEachModel(lambda: getattr(app.ctx, "agent", None)).run())]
            if not self.live:
                logger.info("Twilio channel off: TWILIO_AUTH_TOKEN is not set; its webhook refuses requests")
                return
            engine = engine_for(self.settings.database_url)
            self.sender = OutboxSender(self.settings, self.sessions, locks.KeyLocks(engine, locks.OUTBOX))
            # Advisory locks on PostgreSQL: several replicas may serve this webhook over one inbox.
            self.worker = InboxWorker(self.sessions, locks.KeyLocks(engine, locks.INBOX), on_new_message,
                                      lambda: getattr(app.ctx, "agent", None), self.sender)
            self._tasks += [asyncio.create_task(self.worker.run()), asyncio.create_task(self.sender.run())]

        @blueprint.listener("before_server_stop")
        async def stop_workers(_app: Any, _loop: Any) -> None:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            for owner in (self.worker, self.sender):
                if owner:
                    owner.locks.close()

        @blueprint.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            params, refusal = self._verified(request)
            if refusal:
                return refusal
            try:
                arrival = arrival_from(params, self.secret)
            except MalformedRequest as error:
                logger.warning("Twilio webhook: %s (MessageSid %s)", error, params.get("MessageSid", "-"))
                return response.text(str(error), status=400)
            try:
                stored, claimed = await asyncio.to_thread(self._store, arrival)
            except SQLAlchemyError:
                # 503: Twilio retries the webhook later; acknowledging now would drop the message.
                alert(DATABASE_UNAVAILABLE, "Twilio webhook could not store message %s; answered 503",
                      arrival.message_sid, exc_info=True)
                return response.text("try again", status=503)
            if claimed is not None:
                self.worker.start(claimed)
            elif stored and self.worker:
                self.worker.wake(arrival.sender_id)
            return response.text(EMPTY_TWIML, content_type="text/xml")

        @blueprint.route("/status", methods=["POST"])
        async def status(request: Request) -> HTTPResponse:
            params, refusal = self._verified(request)
            if refusal:
                return refusal
            sid, state = params.get("MessageSid", ""), params.get("MessageStatus", "")
            if not sid or not state:
                return response.text("MessageSid and MessageStatus are required", status=400)
            recorded = await asyncio.to_thread(self._record_status, sid, state, params.get("ErrorCode") or None)
            if not recorded:
                logger.info("Twilio status %s (not a delivery status) for message %s ignored", state, sid)
            return response.text("", status=204)

        return blueprint

    def _verified(self, request: Request):
        """(params, None) for a genuine Twilio request, else (None or params, the refusal to send)."""
        if not self.live:
            logger.warning("Twilio request to %s refused: TWILIO_AUTH_TOKEN is not set", request.path)
            return None, response.text("Twilio channel is not configured", status=403)
        try:
            params = parse_form(request.body or b"")
        except MalformedRequest as error:
            logger.warning("Twilio request to %s refused: %s", request.path, error)
            return None, response.text(str(error), status=400)
        url = signed_url(self.settings.public_url, request.path, request.query_string)
        if not is_genuine(self.validator, url, params, request.headers.get("X-Twilio-Signature")):
            # Never the message text: a forged request may carry anything.
            logger.warning("Twilio request to %s refused: bad or missing signature (from %s, MessageSid %s)",
                           request.path, request.remote_addr or request.ip, params.get("MessageSid", "-")[:64])
            return params, response.text("invalid signature", status=403)
        return params, None

    def _store(self, arrival: inbox.Arrival) -> Tuple[bool, Optional[InboundMessage]]:
        """Store the message (False if stored before) and, when the worker has room for the
        parent and no claim of its is running, claim the parent's oldest pending message in the
        same transaction: one commit instead of two, and no inbox scan. If the commit fails, the
        parent this call locked is let go again."""
        guard = self.worker.claiming if self.worker and self.worker.claiming.acquire(blocking=False) else None
        if guard is None:
            with self.sessions.begin() as session:
                return inbox.store(session, arrival), None
        try:
            held_before = self.worker.locks.holding()
            try:
                with self.sessions.begin() as session:
                    stored = inbox.store(session, arrival)
                    return stored, self.worker.claim_in(session, arrival.sender_id) if stored else None
            except Exception:
                for key in self.worker.locks.holding() - held_before:
                    self.worker.locks.release(key)
                raise
        finally:
            guard.release()

    def _record_status(self, sid: str, state: str, error_code: Optional[str]) -> bool:
        with self.sessions.begin() as session:
            return outbox.apply_status(session, sid, state, error_code)
