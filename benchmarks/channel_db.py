"""CPU per message of the Twilio channel's application-database work, without Rasa or HTTP.

Every message costs three transactions on the application database besides Rasa's turn: the
webhook stores it and claims it (`TwilioChannel._store`), the inbox worker finishes it, queuing the
reply and claiming it for the sender (`InboxWorker._commit`), and the sender records Twilio's
answer (`OutboxSender._record_sent`); each lets its parent's or recipient's lock go afterwards.
This runs exactly those functions, one message after another for 200 parents, on a throwaway
PostgreSQL database and on SQLite, and prints the CPU milliseconds per message of each. In-process
CPU time of the same calls varies far less between runs than the load benchmark's figures, so a
change to these statements can be judged here in half a minute.

Run: `make bench ARGS="--only channel-db"` or `.venv/bin/python -m benchmarks.channel_db [--messages N]`.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import tempfile
import time
import uuid
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Sequence

from bot.channels.twilio import TwilioChannel
from bot.config import get_settings
from bot.db import locks
from bot.db.messaging import Channel, InboundStatus
from bot.db.migrate import upgrade
from bot.db.session import engine_for, session_factory
from bot.messaging import inbox
from bot.messaging.sender import OutboxSender
from bot.messaging.twilio_client import TwilioApi
from bot.messaging.worker import InboxWorker, Outcome
from tests.conftest import throwaway_postgres_database

PARENTS = 200
WARM_UP = 50  # messages before the clock starts: statement caches and connections fill first
REPLY = "Keep your baby's cot clear. All they need is a firm, flat mattress with a fitted sheet."
# The sender begins sending only with a Twilio client, which needs an account. Nothing is sent (each
# message's Twilio answer is recorded directly); a message sent by mistake would find no server here.
UNUSED_TWILIO = {"twilio_account_sid": "AC" + "0" * 32, "twilio_auth_token": "unused",
                 "twilio_api_base": "http://127.0.0.1:9"}


class ChannelDatabase:
    """The webhook's, the worker's and the sender's database work for one message at a time."""

    def __init__(self, url: str) -> None:
        engine, sessions = engine_for(url), session_factory(url)
        settings = dataclasses.replace(get_settings(), **UNUSED_TWILIO)
        self.sender = OutboxSender(settings, sessions, locks.KeyLocks(engine, locks.OUTBOX))
        self.loop = asyncio.new_event_loop()  # the sender's Twilio client lives in one
        self.api = self.loop.run_until_complete(self._begin_sending())
        self.worker = InboxWorker(sessions, locks.KeyLocks(engine, locks.INBOX), None, lambda: None, self.sender)
        self.channel = TwilioChannel.__new__(TwilioChannel)  # only its `_store`: no Sanic, no token
        self.channel.sessions, self.channel.worker = sessions, self.worker
        self.cpu: Dict[str, float] = {"webhook": 0.0, "worker": 0.0, "sender": 0.0, "unlocks": 0.0}

    def message(self, n: int) -> None:
        """Store, handle and send message `n`, adding each step's CPU seconds to `cpu`."""
        parent = n % PARENTS
        arrival = inbox.Arrival(message_sid=f"SM{uuid.uuid4().hex}", address=f"+4477009{parent:05d}",
                                our_address="+447700900900", sender_id=f"parent-{parent}", channel=Channel.SMS,
                                body="is it ok to swaddle", num_media=0, has_location=False)
        _, row = self._timed("webhook", self.channel._store, arrival)
        _, _, job = self._timed("worker", self.worker._commit, row, Outcome([REPLY]), InboundStatus.PROCESSED)
        self._timed("unlocks", self.worker.locks.release, row.sender_id)
        self._timed("sender", self.sender._record_sent, job[0], f"SM{uuid.uuid4().hex}", None)
        self._timed("unlocks", self.sender.locks.release, job[0].to_address)

    async def _begin_sending(self) -> TwilioApi:
        """Begin sending as the running sender does (a new database has nothing in doubt to
        settle), so the worker claims each reply for the sender."""
        api = TwilioApi(self.sender.settings)
        await self.sender.begin_sending(api)
        return api

    def close(self) -> None:
        self.worker.locks.close()
        self.sender.locks.close()
        self.loop.run_until_complete(self.api.close())
        self.loop.close()

    def _timed(self, step: str, function: Callable, *args):
        started = time.process_time()
        try:
            return function(*args)
        finally:
            self.cpu[step] += time.process_time() - started


def measure(url: str, messages: int) -> Dict[str, float]:
    """CPU milliseconds per message of each step, after WARM_UP messages."""
    upgrade(url)
    channel = ChannelDatabase(url)
    try:
        for n in range(WARM_UP):
            channel.message(n)
        channel.cpu = {step: 0.0 for step in channel.cpu}
        for n in range(WARM_UP, WARM_UP + messages):
            channel.message(n)
    finally:
        channel.close()
    per_message = {step: 1000 * seconds / messages for step, seconds in channel.cpu.items()}
    per_message["total"] = sum(per_message.values())
    return per_message


@contextlib.contextmanager
def databases() -> Iterator[List[tuple]]:
    with throwaway_postgres_database() as postgres, tempfile.TemporaryDirectory() as directory:
        yield [("PostgreSQL", postgres), ("SQLite", f"sqlite:///{Path(directory) / 'app.db'}")]


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.channel_db", description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    args = parser.parse_known_args(argv)[0]
    print(f"Channel database work, CPU ms per message ({args.messages} messages, {PARENTS} parents)")
    with databases() as urls:
        for name, url in urls:
            figures = measure(url, args.messages)
            print(f"{name:11} " + "  ".join(f"{step} {ms:.2f}" for step, ms in figures.items()), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
