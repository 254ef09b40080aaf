"""Drains the outbox: sends each queued message through Twilio, in order per recipient.

Runs as a task in the Rasa server's event loop; database work goes to a thread and the twilio
client is asynchronous, so sending never blocks the loop that answers webhooks. The inbox worker
usually claims a parent's reply for this sender in the very transaction that queues it
(`claim_in`), so the send starts the moment that commits; the sender's own claims (the recipients
it is told about, and a scan every second) take whatever that did not. A message that
never reached Twilio (no connection), 429 and 5xx are retried with exponential backoff; any other
refusal is recorded on the row with Twilio's code (21610 opted out, 21617 too long, 63016 outside
the WhatsApp window, …).

Never twice: a row is marked "sending" before Twilio is called. If no answer comes back (a
timeout, a broken connection) or the process dies, the row stays "sending" and is settled by
asking Twilio for the messages it has to that recipient: found, it was sent; not found, it is
queued again. Twilio's list is trusted only once no request for the row can still be on its way:
a request must leave within `request_timeout` of the claim (`_call_twilio`), and Twilio answers
within another `request_timeout` (or the send would have timed out), so rows are settled
`settle_after` = twice that after they were claimed or given up. Asking sooner could miss a
message Twilio was still accepting, and send it again.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import random
import threading
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Set, Tuple

from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.db.locks import KeyLocks
from bot.db.messaging import Channel, Contact, OutboundMessage, OutboundStatus
from bot.db.models import utcnow
from bot.messaging import claims, contacts, outbox
from bot.messaging.contacts import as_utc
from bot.messaging.twilio_client import (
    REQUEST_TIMEOUT_SECONDS,
    Sent,
    SendError,
    SendOutcomeUnknown,
    SentRecord,
    TwilioApi,
)

logger = logging.getLogger(__name__)

CONCURRENT_SENDS = 32  # recipients sent to at once; as many as parents the inbox worker serves
MAX_ATTEMPTS = 8
MAX_BACKOFF_SECONDS = 300
POLL_SECONDS = 1.0
# How often a running sender looks for messages left "sending" (by a replica that died, or by a
# send that got no answer) that are old enough to settle.
ORPHAN_CHECK_SECONDS = 5.0
OPTED_OUT = "21610"
OUTSIDE_WINDOW = "63016"
STATUS_PATH = "/webhooks/twilio/status"
# Twilio's clock and ours may differ a little; look a bit earlier than we started sending.
CLOCK_SKEW = dt.timedelta(minutes=2)


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
    if contact is None and row.sender_id is not None:
        # Their contact was erased (python -m bot subject erase) after this row was queued.
        return Plan(suppress="contact erased")
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
    def __init__(self, settings: Settings, sessions: sessionmaker, locks: KeyLocks,
                 request_timeout: float = REQUEST_TIMEOUT_SECONDS) -> None:
        self.settings, self.sessions, self.locks = settings, sessions, locks
        self.request_timeout = request_timeout
        self.settle_after = dt.timedelta(seconds=2 * request_timeout)
        self._tasks: Set[asyncio.Task] = set()
        # Recipients with a newly queued message, named by the inbox worker, or a scan of the outbox.
        self._demand = claims.Demand(locks, CONCURRENT_SENDS, POLL_SECONDS)
        # Held by whoever takes recipients' locks from a thread (a claim, the worker's `claim_in`),
        # so a claim that fails lets go of exactly the recipients it took.
        self.claiming = threading.Lock()
        # The Twilio client while sending is allowed: only after the first settling pass, so
        # nothing goes out before what a dead process left "sending" is known (`_settled`).
        self._api: Optional[TwilioApi] = None

    @property
    def sending(self) -> bool:
        """Whether replies go out yet: not before `begin_sending` has settled what was in doubt."""
        return self._api is not None

    def wake(self, address: Optional[str] = None) -> None:
        """Something was queued: to `address` (claimed by name), or to anyone (scan)."""
        self._demand.wake(address)

    def claim_in(self, session: Session, address: str) -> Optional[Tuple[OutboundMessage, Plan]]:
        """Inside the transaction that queued replies to `address` (the inbox worker's finish, in
        its thread): claim the recipient's next message, if this sender is sending, has room and
        gets the recipient's lock without waiting. The reply is then on its way as soon as that
        transaction commits, without a wake-up, a thread hop and a transaction of its own. The
        caller hands the result to `start` after the commit, or to `let_go` if it fails; on None
        it calls `wake` as before."""
        if not self.sending or not self.claiming.acquire(blocking=False):
            return None
        try:
            if len(self.locks.holding()) >= CONCURRENT_SENDS or not self.locks.try_acquire(address):
                return None
            try:
                job = self._next_for(session, address)
            except Exception:
                self.locks.release(address)
                raise
            if job is None:
                self.locks.release(address)
            return job
        finally:
            self.claiming.release()

    def start(self, job: Tuple[OutboundMessage, Plan]) -> None:
        """Send what `claim_in` claimed, now that its transaction has committed."""
        self._spawn(self._api, *job)

    def let_go(self, job: Tuple[OutboundMessage, Plan]) -> None:
        """The transaction `claim_in` claimed in did not commit: free the recipient again."""
        self.locks.release(job[0].to_address)

    async def run(self) -> None:
        """Send until cancelled; picks up whatever a previous process left queued."""
        api = TwilioApi(self.settings, self.request_timeout)
        loop = asyncio.get_running_loop()
        try:
            await self.begin_sending(api)
            checked = loop.time()
            while True:
                if loop.time() - checked > ORPHAN_CHECK_SECONDS:
                    await self._settled(api)
                    checked = loop.time()
                for row, decision in await self._next_rows():
                    self._spawn(api, row, decision)
                await self._demand.wait()
        finally:
            self._api = None
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await api.close()

    async def begin_sending(self, api: TwilioApi) -> None:
        """Settle what is in doubt, trying again until Twilio answers, then send through `api`: from
        then on the inbox worker claims replies for this sender (`claim_in`). Nothing goes out
        before that first pass, so a reply a dead process may have sent is not sent again."""
        while not await self._settled(api):
            await asyncio.sleep(POLL_SECONDS)
        self._api = api

    def _spawn(self, api: TwilioApi, row: OutboundMessage, decision: Plan) -> None:
        task = asyncio.create_task(self._send_all(api, row, decision))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _settled(self, api: TwilioApi) -> bool:
        """Settle what a process was sending when it died (this one before a restart, or another
        replica) or sent without getting an answer: if Twilio has it, it was sent; if not, it is
        queued again. So neither a crash nor a timeout loses a reply or sends it twice. A row whose
        recipient lock is held is being sent by a live sender and is left alone, and so is one
        claimed or given up less than `settle_after` ago: its request may still reach Twilio."""
        try:
            for address in {row.to_address for row in await asyncio.to_thread(self._in_doubt)}:
                if not await asyncio.to_thread(self.locks.try_acquire, address):
                    continue
                try:
                    row = await asyncio.to_thread(self._still_in_doubt, address)
                    if row is not None:
                        # It cannot have gone before it was queued.
                        records = await api.sent_since(address, as_utc(row.created_at) - CLOCK_SKEW)
                        await asyncio.to_thread(self._settle, row, records)
                finally:
                    await asyncio.to_thread(self.locks.release, address)
            return True
        except Exception:  # noqa: BLE001 - nothing is sent until this succeeds
            logger.exception("outbox sender: could not check messages in doubt with Twilio; trying again")
            return False

    def _in_doubt(self) -> List[OutboundMessage]:
        busy = self.locks.holding()
        with self.sessions() as session:
            return [row for row in outbox.in_doubt(session, utcnow() - self.settle_after)
                    if row.to_address not in busy]

    def _still_in_doubt(self, address: str) -> Optional[OutboundMessage]:
        """Read again under the lock: the sender that held it may have recorded the result since,
        or claimed the recipient's next message (too recently to settle)."""
        with self.sessions() as session:
            row = outbox.oldest_waiting(session, address)
            if row is None or row.status != OutboundStatus.SENDING.value:
                return None
            return row if as_utc(row.updated_at) <= utcnow() - self.settle_after else None

    def _settle(self, row: OutboundMessage, records: List[SentRecord]) -> None:
        with self.sessions.begin() as session:
            taken = outbox.known_sids(session, [r.sid for r in records])
            match = next((r for r in records if r.sid not in taken and row.body in r.body), None)
            if match:
                # Warnings: each follows a crash or a lost answer, which an operator wants to see.
                logger.warning("outbox message %s was in doubt and Twilio has it (%s): sent", row.id, match.sid)
                outbox.mark_sent(session, row.id, match.sid, None)
            elif row.attempts >= MAX_ATTEMPTS:
                outbox.mark_failed(session, row.id, row.error_code or "network",
                                   f"not sent after {row.attempts} attempts without an answer")
                logger.error("outbox message %s failed: never answered, and Twilio does not have it", row.id)
            else:
                logger.warning("outbox message %s was in doubt and Twilio does not have it: queued again", row.id)
                outbox.requeue(session, row.id)

    async def _next_rows(self) -> List[Tuple[OutboundMessage, Plan]]:
        """The next messages to send (see `claims.Demand`); none while the database is unreachable."""
        return await self._demand.next_batch(self._due, self._due_for, logger,
                                             "outbox sender: could not read the outbox; trying again",
                                             self.claiming)

    def _due(self, limit: int) -> List[Tuple[OutboundMessage, Plan]]:
        """Claim the next messages and decide how to send each, in one transaction (if it is not
        committed, `claims.next_batch` lets their recipients go again)."""
        with self.sessions.begin() as session:
            now = utcnow()
            return [(row, self._plan(session, row, now)) for row in outbox.claim(session, now, self.locks, limit)]

    def _due_for(self, addresses: List[str], limit: int) -> List[Tuple[OutboundMessage, Plan]]:
        """`_due` for the recipients named only."""
        with self.sessions.begin() as session:
            now = utcnow()
            return [(row, self._plan(session, row, now))
                    for row in outbox.claim_recipients(session, now, self.locks, addresses, limit)]

    def _next_for(self, session: Session, address: str) -> Optional[Tuple[OutboundMessage, Plan]]:
        """Inside the transaction that records a result, while the recipient is still locked: their
        next message, claimed, and how to send it (None if nothing is due)."""
        now = utcnow()
        row = outbox.next_to_send(session, address, now)
        return (row, self._plan(session, row, now)) if row is not None else None

    def _plan(self, session: Session, row: OutboundMessage, now: dt.datetime) -> Plan:
        return plan(self.settings, row, session.get(Contact, row.sender_id) if row.sender_id else None, now)

    async def _send_all(self, api: TwilioApi, row: OutboundMessage, decision: Plan) -> None:
        """Send the recipient's messages one after another while the recipient is locked: each
        next one is claimed in the transaction that records the one before (parts stay in order
        and cost no extra claim)."""
        address = row.to_address
        try:
            job: Optional[Tuple[OutboundMessage, Plan]] = (row, decision)
            while job is not None:
                job = await self._send(api, *job)
        finally:
            # Only after the result is committed: the next holder must see it.
            await asyncio.to_thread(self.locks.release, address)
            self._demand.released()

    async def _send(self, api: TwilioApi, row: OutboundMessage, decision: Plan
                    ) -> Optional[Tuple[OutboundMessage, Plan]]:
        """Send one message and record what happened; returns the recipient's next one, claimed."""
        try:
            if decision.suppress or decision.fail:
                return await asyncio.to_thread(self._record_not_sent, row, decision)
            try:
                sent = await self._call_twilio(api, row, decision.params)
            except SendError as error:
                await asyncio.to_thread(self._record_error, row, error)
                return None
            except SendOutcomeUnknown as error:
                # Twilio may have it: left "sending", it is settled by asking Twilio (`_settled`).
                logger.warning("outbox message %s: Twilio did not answer (%s); in doubt until Twilio is asked",
                               row.id, error)
                await asyncio.to_thread(self._record_in_doubt, row, error)
                return None
            return await asyncio.to_thread(self._record_sent, row, sent.sid, decision.params.get("content_sid"))
        except Exception:  # noqa: BLE001 - the row stays "sending" and is settled with Twilio
            logger.exception("outbox message %s: unexpected error while sending", row.id)
            await asyncio.sleep(POLL_SECONDS)
            return None

    async def _call_twilio(self, api: TwilioApi, row: OutboundMessage, params: Dict[str, Any]) -> Sent:
        """Send, but give up `request_timeout` after the claim (`row.updated_at`), so that no
        request for this row can reach Twilio later than that, whatever delayed this task; that
        bound is what lets `_settled` trust Twilio's list. A claim already that old is not sent."""
        left = self.request_timeout - (utcnow() - as_utc(row.updated_at)).total_seconds()
        if left <= 0:
            raise SendError("late_claim", "claimed too long ago to send safely; not sent", retryable=True)
        try:
            return await asyncio.wait_for(api.send(params), left)
        except asyncio.TimeoutError:
            raise SendOutcomeUnknown(f"no answer within {self.request_timeout} s of the claim") from None

    def _record_not_sent(self, row: OutboundMessage, decision: Plan) -> Optional[Tuple[OutboundMessage, Plan]]:
        with self.sessions.begin() as session:
            if decision.suppress:
                outbox.mark_suppressed(session, row.id, decision.suppress)
            else:
                outbox.mark_failed(session, row.id, *decision.fail)
                logger.error("outbox message %s not sent: %s", row.id, decision.fail[1])
            return self._next_for(session, row.to_address)

    def _record_sent(self, row: OutboundMessage, sid: str, content_sid: Optional[str]
                     ) -> Optional[Tuple[OutboundMessage, Plan]]:
        with self.sessions.begin() as session:
            outbox.mark_sent(session, row.id, sid, content_sid)
            return self._next_for(session, row.to_address)

    def _record_in_doubt(self, row: OutboundMessage, error: SendOutcomeUnknown) -> None:
        with self.sessions.begin() as session:
            outbox.mark_in_doubt(session, row.id, "no_answer", str(error))

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
