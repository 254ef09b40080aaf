"""Processes the inbox: each parent's messages one at a time, in arrival order, each exactly once.

Runs as a task in the Rasa server's event loop and hands each text to the agent through the
channel's `on_new_message`, the same path as every Rasa channel, so the whole NLU pipeline (the
slash guard, risk detection) sees it. Carrier keywords and what cannot be read (media, locations)
are answered here without reaching the bot.

Exactly once: the replies and the "processed" mark are committed together. If the process dies
after Rasa handled a message but before that commit, the message is still pending; on the next
attempt the tracker already holds it (UserUttered carries the MessageSid as message_id), so the
replies Rasa gave then are queued instead of asking Rasa a second time.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, List, Optional, Protocol, Set, Tuple

import sqlalchemy as sa
from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.shared.core.events import BotUttered, UserUttered
from sqlalchemy.orm import Session, sessionmaker

from bot.db.locks import KeyLocks
from bot.dialogue.fail_closed_actions import ActionServerUnavailable
from bot.db.messaging import InboundMessage, InboundStatus
from bot.messaging import claims, contacts, inbox, keywords, outbox
from bot.messaging.keywords import Keyword
from bot.storage.tracker_store import TrackerStoreUnavailable

logger = logging.getLogger(__name__)

# Parents a replica works on at once. Most of a turn's wall time is waiting (the database, the
# action server, the event loop), so the limit must not be what caps throughput: at 8, one replica
# reached p99 18 s at 50 msg/s; at 32, with as many database threads (bot/channels/twilio.py),
# 1.4 s at about the same CPU per message (README "Load benchmark", session 19).
CONCURRENT_PARENTS = 32
MAX_ATTEMPTS = 5
POLL_SECONDS = 1.0
OUTAGE_BACKOFF_CAP_SECONDS = 10


class AgentNotReady(RuntimeError):
    pass


@dataclass
class Outcome:
    """What processing one inbound message produced, committed together by `_finish`."""

    replies: List[str] = field(default_factory=list)
    origin: str = "bot"
    keyword: Optional[Keyword] = None


class ReplySender(Protocol):
    """Who sends the replies the worker queues (bot.messaging.sender.OutboxSender)."""

    def claim_in(self, session: Session, address: str) -> Optional[Any]: ...

    def start(self, job: Any) -> None: ...

    def let_go(self, job: Any) -> None: ...

    def wake(self, address: Optional[str] = None) -> None: ...


class InboxWorker:
    def __init__(self, sessions: sessionmaker, locks: KeyLocks, on_new_message: Callable[[UserMessage], Awaitable],
                 agent: Callable[[], Optional[Agent]], replies: ReplySender) -> None:
        self.sessions, self.locks, self.on_new_message, self.agent, self.replies = (
            sessions, locks, on_new_message, agent, replies)
        self._tasks: Set[asyncio.Task] = set()
        # Parents with a new message, named by the webhook, or a scan of the inbox.
        self._demand = claims.Demand(locks, CONCURRENT_PARENTS, POLL_SECONDS)
        # Held by whoever takes parents' locks from a thread (a claim, the webhook's `claim_in`),
        # so a claim that fails lets go of exactly the parents it took.
        self.claiming = threading.Lock()

    def wake(self, sender_id: Optional[str] = None) -> None:
        """A message was stored: for `sender_id` (claimed by name), or for anyone (scan)."""
        self._demand.wake(sender_id)

    async def run(self) -> None:
        """Process until cancelled, starting with whatever a previous process left pending."""
        try:
            while True:
                for row in await self._demand.next_batch(
                        self._claim, self._claim_parents, logger,
                        "inbox worker: could not read the inbox; trying again", self.claiming):
                    self.start(row)
                await self._demand.wait()
        finally:
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def claim_in(self, session: Session, sender_id: str) -> Optional[InboundMessage]:
        """Inside the transaction that stores a parent's message (the webhook's thread, holding
        `claiming`): claim the parent's oldest pending message if this process has room and gets
        the parent's lock. The caller commits, then hands the row to `start`, or lets go of what
        it took if the commit fails."""
        if len(self.locks.holding()) >= CONCURRENT_PARENTS:
            return None
        try:
            rows = inbox.claim_parents(session, self.locks, [sender_id], 1)
        except sa.exc.DBAPIError:
            # The message must still be stored: the worker claims it later (a failed statement in
            # `session` fails the store's commit anyway, and the webhook answers 503).
            logger.warning("inbox worker: could not claim a new message at once; it waits in the inbox")
            return None
        return rows[0] if rows else None

    def start(self, row: InboundMessage) -> None:
        """Process a claimed, committed message in a task of its own (from a claim by this loop,
        or by the webhook's `claim_in`); the task lets go of the parent when it is done."""
        task = asyncio.create_task(self._process(row))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _claim(self, limit: int) -> List[InboundMessage]:
        with self.sessions.begin() as session:
            return inbox.claim(session, self.locks, limit)

    def _claim_parents(self, sender_ids: List[str], limit: int) -> List[InboundMessage]:
        with self.sessions.begin() as session:
            return inbox.claim_parents(session, self.locks, sender_ids, limit)

    async def _process(self, row: InboundMessage) -> None:
        """Handle the parent's messages one after another while the parent is locked: each next
        one is claimed in the transaction that finishes the one before, so order holds and a
        burst costs no extra claim."""
        sender_id: str = row.sender_id
        try:
            next_row: Optional[InboundMessage] = row
            while next_row is not None:
                next_row = await self._handle(next_row)
        finally:
            # Only after the processed mark is committed: the next holder must see it.
            await asyncio.to_thread(self.locks.release, sender_id)
            self._demand.released()

    async def _handle(self, row: InboundMessage) -> Optional[InboundMessage]:
        """Handle one message, retrying with backoff; returns the parent's next message, claimed."""
        attempt = row.attempts  # counted when it was claimed
        # Above 1, an earlier attempt may have reached Rasa before its process died.
        maybe_handled = attempt > 1
        outage_retries = 0
        while True:
            try:
                if attempt > MAX_ATTEMPTS:
                    logger.error("inbound message %s: giving up after %s attempts", row.id, MAX_ATTEMPTS)
                    return await self._finish(row, Outcome([keywords.FAILURE_REPLY], "system"),
                                              InboundStatus.FAILED)
                outcome = await self._outcome(row, maybe_handled)
                return await self._finish(row, outcome, InboundStatus.PROCESSED)
            except asyncio.CancelledError:
                raise
            except (TrackerStoreUnavailable, ActionServerUnavailable):
                # Not this message's fault: it stays pending (and counts no attempt) until the
                # conversation store or the action server answers again, however long that
                # takes. Alerted already.
                maybe_handled = True
                outage_retries += 1
                await asyncio.sleep(min(2 ** outage_retries, OUTAGE_BACKOFF_CAP_SECONDS))
            except Exception as error:  # noqa: BLE001 - recorded, retried, then answered
                logger.exception("inbound message %s: attempt %s failed", row.id, attempt)
                maybe_handled = True
                await asyncio.sleep(min(2 ** attempt, 60))
                attempt += 1
                with contextlib.suppress(Exception):
                    await asyncio.to_thread(self._record_attempt, row.id, f"{type(error).__name__}: {error}")

    async def _outcome(self, row: InboundMessage, maybe_handled: bool) -> Outcome:
        keyword = keywords.keyword_of(row.body)
        if keyword == Keyword.OPT_OUT:
            return Outcome([keywords.OPT_OUT_CONFIRMATION], "system", keyword)
        if keyword == Keyword.OPT_IN:
            return Outcome([keywords.OPT_IN_CONFIRMATION], "system", keyword)
        if keyword == Keyword.HELP:
            return Outcome([keywords.HELP_TEXT], "system", keyword)
        if row.body.strip():
            replies = await self._converse(row, maybe_handled)
            if row.num_media:
                replies.append(keywords.MEDIA_BESIDE_TEXT_NOTE)
            return Outcome(replies)
        if row.num_media:
            return Outcome([keywords.MEDIA_ONLY_REPLY], "system")
        if row.has_location:
            return Outcome([keywords.LOCATION_REPLY], "system")
        return Outcome([keywords.EMPTY_REPLY], "system")

    async def _converse(self, row: InboundMessage, maybe_handled: bool) -> List[str]:
        agent = self.agent()
        if agent is None or not agent.is_ready():
            raise AgentNotReady("no model is loaded")
        earlier = await self._replies_already_given(agent, row) if maybe_handled else None
        if earlier is not None:
            logger.info("inbound message %s was handled before a restart; sending its replies", row.id)
            return earlier
        collector = CollectingOutputChannel()
        await self.on_new_message(UserMessage(
            row.body, collector, row.sender_id, input_channel=row.channel, message_id=row.message_sid))
        return [m["text"] for m in collector.messages if m.get("text")]

    @staticmethod
    async def _replies_already_given(agent: Agent, row: InboundMessage) -> Optional[List[str]]:
        tracker = await agent.tracker_store.retrieve(row.sender_id)
        if tracker is None:
            return None
        replies: Optional[List[str]] = None
        for event in tracker.events:
            if isinstance(event, UserUttered):
                if replies is not None:
                    break
                if event.message_id == row.message_sid:
                    replies = []
            elif replies is not None and isinstance(event, BotUttered) and event.text:
                replies.append(event.text)
        return replies

    async def _finish(self, row: InboundMessage, outcome: Outcome, status: InboundStatus) -> Optional[InboundMessage]:
        next_row, address, send = await asyncio.to_thread(self._commit, row, outcome, status)
        if send is not None:
            self.replies.start(send)
        elif address is not None:
            self.replies.wake(address)
        return next_row

    def _commit(self, row: InboundMessage, outcome: Outcome, status: InboundStatus
                ) -> Tuple[Optional[InboundMessage], Optional[str], Optional[Any]]:
        """Replies, opt-out changes and the processed mark in one transaction (nothing if done
        already), which also claims the parent's next pending message, if any, and the first reply
        for sending. Returns that message, the address the replies are queued to, and the claimed
        reply (None: the sender is woken to claim it itself)."""
        send = None
        try:
            with self.sessions.begin() as session:
                error = None if status == InboundStatus.PROCESSED else "gave up"
                if not inbox.finish(session, row.id, status, error):
                    return None, None, None
                if outcome.keyword == Keyword.OPT_OUT:
                    contacts.opt_out(session, row.sender_id)
                elif outcome.keyword == Keyword.OPT_IN:
                    contacts.opt_in(session, row.sender_id)
                address = None
                if outcome.replies:
                    # Held until the commit: `claim_in` below plans the first reply from it.
                    contact = contacts.contact(session, row.sender_id)
                    # One text, split only where the channel needs it: fewer messages, none out of order.
                    queued = outbox.queue_to_contact(session, contact, "\n\n".join(outcome.replies),
                                                     origin=outcome.origin, inbound_id=row.id,
                                                     ignores_opt_out=outcome.keyword == Keyword.OPT_OUT)
                    address = queued[0].to_address
                    send = self.replies.claim_in(session, address)
                return inbox.next_pending(session, row.sender_id), address, send
        except Exception:
            if send is not None:
                self.replies.let_go(send)
            raise

    def _record_attempt(self, message_id: int, error: str) -> None:
        with self.sessions.begin() as session:
            inbox.record_attempt(session, message_id, error)
