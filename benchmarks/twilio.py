"""The Twilio row of `make bench`: this project's channel against Rasa's built-in Twilio connector.

Both serve the same model with the same SQL tracker store (SQLite, as `make run`), receive the same
signed webhook requests, and send their replies to the same local Twilio stub (tests/twilio_stub.py)
through the real twilio library. At each concurrency level, that many parents each send messages
one after another, each waiting for the answer before the next, as a person would. Measured:

- acknowledgement: the webhook's HTTP round trip, what Twilio waits for (its limit is 15 s);
- time to reply: from sending the webhook to the stub receiving the first reply to that parent;
- replies per second, and the server's CPU time per message (which a busy machine disturbs less);
- then the awkward cases: the HTTP status for a forged request and for a media-only message, and
  how many replies a media-only message and a MessageSid delivered twice get.

Run alone: `python -m benchmarks.twilio` or `make bench ARGS="--only twilio"` (about 3 minutes).
Figures go to stdout and var/bench/twilio.json.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Dict, List, Optional, Tuple
from urllib.parse import urlencode

import aiohttp
from twilio.request_validator import RequestValidator

from benchmarks.common import cpu_seconds, load_average, rasa, stop_process, summary, wait_ready
from bot import supervisor
from bot.config import get_settings
from bot.db.migrate import upgrade
from bot.evaluation.nlu import TEST_SET_DIR, load_examples
from tests.conftest import free_port
from tests.twilio_stub import SentMessage, TwilioStub

LEVELS = ((1, 20), (10, 10), (50, 4))  # (concurrent parents, messages each)
REPLY_TIMEOUT_SECONDS = 60
AUTH_TOKEN = "bench-auth-token"
ACCOUNT_SID = "AC" + "b" * 32
PUBLIC_URL = "https://bot.example.org"
OUR_NUMBER = "+447700900900"
WEBHOOK = "/webhooks/twilio/webhook"
CONSENT_INTENTS = {"affirm", "deny", "withdraw_consent"}


@dataclass
class Contender:
    name: str
    command: List[str]
    env: Dict[str, str]
    figures: Dict[str, float] = field(default_factory=dict)


class Replies:
    """Turns the stub's thread callbacks into futures the load generator awaits, one per parent."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.waiting: Dict[str, asyncio.Future] = {}

    def expect(self, address: str) -> asyncio.Future:
        future = self.loop.create_future()
        self.waiting[address] = future
        return future

    def received(self, message: SentMessage) -> None:
        self.loop.call_soon_threadsafe(self._resolve, message.to, message.received_at)

    def _resolve(self, address: str, at: float) -> None:
        future = self.waiting.pop(address, None)
        if future is not None and not future.done():
            future.set_result(at)


def texts() -> List[str]:
    """Held-out questions answered by rules alone (no risk, no consent), so no action server is needed."""
    root = get_settings().project_root
    return [e.text for e in load_examples(root / TEST_SET_DIR)
            if not e.intent.startswith("risk_") and e.intent not in CONSENT_INTENTS]


async def send(session: aiohttp.ClientSession, port: int, address: str, text: str,
               sid: Optional[str] = None, signed: bool = True, **extra: str) -> Tuple[int, float]:
    form = {"MessageSid": sid or "SM" + uuid.uuid4().hex, "AccountSid": ACCOUNT_SID, "From": address,
            "To": OUR_NUMBER, "Body": text, "NumMedia": "0", **extra}
    signature = RequestValidator(AUTH_TOKEN if signed else "forger").compute_signature(PUBLIC_URL + WEBHOOK, form)
    async with session.post(f"http://127.0.0.1:{port}{WEBHOOK}", data=urlencode(form),
                            headers={"Content-Type": "application/x-www-form-urlencoded",
                                     "X-Twilio-Signature": signature}) as response:
        await response.read()
        return response.status, time.perf_counter()


async def load(port: int, pid: int, replies: Replies, corpus: List[str], parents: int, each: int,
               tag: str) -> Dict[str, float]:
    acks: List[float] = []
    to_reply: List[float] = []
    failures = {"non-2xx": 0, "no reply": 0}

    async def parent(index: int, session: aiohttp.ClientSession) -> None:
        address = f"+44770{abs(hash((tag, index))) % 10**6:06d}"
        for n in range(each):
            waiting = replies.expect(address)
            started = time.perf_counter()
            status, acked = await send(session, port, address, corpus[(index * 7 + n) % len(corpus)])
            if status >= 300:
                failures["non-2xx"] += 1
                continue
            acks.append(acked - started)
            try:
                to_reply.append(await asyncio.wait_for(waiting, REPLY_TIMEOUT_SECONDS) - started)
            except asyncio.TimeoutError:
                failures["no reply"] += 1

    cpu_before, started = cpu_seconds(pid), time.perf_counter()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        await asyncio.gather(*(parent(i, session) for i in range(parents)))
    elapsed, cpu = time.perf_counter() - started, cpu_seconds(pid) - cpu_before
    return {**summary(acks, "ack "), **summary(to_reply, "reply "),
            "replies/s": len(to_reply) / elapsed, "server CPU per message (ms)": cpu / (parents * each) * 1000,
            **failures, "load average": load_average()}


async def probe(port: int, stub: TwilioStub, tag: int) -> Dict[str, float]:
    """What each does with a forged request, a media-only message and a MessageSid delivered twice.

    "answered" counts turns: the replies to the twice-delivered message over the replies to the
    same text sent once (Rasa's connector sends each paragraph as its own message).
    """
    forger, media_only, once, twice = (f"+4477009{tag}{n}" for n in range(4))
    sid = "SM" + uuid.uuid4().hex
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        forged, _ = await send(session, port, forger, "forged", signed=False)
        media, _ = await send(session, port, media_only, "", NumMedia="1",
                              MediaUrl0="https://api.twilio.com/m/ME1", MediaContentType0="image/jpeg")
        await send(session, port, once, "hiya")
        for _ in range(2):
            await send(session, port, twice, "hiya", sid=sid)
        await asyncio.sleep(5)  # let anything still queued go out
    answered = len(stub.messages_to(twice)) / max(len(stub.messages_to(once)), 1)
    return {"forged request: HTTP status": forged, "media-only: HTTP status": media,
            "media-only: replies": len(stub.messages_to(media_only)),
            "MessageSid delivered twice: times answered": answered}


async def measure(contender: Contender, stub: TwilioStub, corpus: List[str], log: Path, tag: int) -> None:
    """Serve (with an action server: a message the model reads as a risk runs a custom action, and
    this project's channel retries a turn whose action could not run), warm up, load at each level,
    then probe the awkward cases."""
    port = free_port()
    stack = contextlib.ExitStack()
    with open(log, "w") as output:
        actions = subprocess.Popen(action_server_command(int(contender.env["ACTIONS_PORT"])),
                                   env=contender.env, stdout=output, stderr=subprocess.STDOUT)
        stack.callback(stop_process, actions)
        process = subprocess.Popen([*contender.command, "--port", str(port)], env=contender.env,
                                   stdout=output, stderr=subprocess.STDOUT)
    try:
        await wait_ready(f"http://127.0.0.1:{port}/", process)
        replies = Replies(asyncio.get_running_loop())
        stub.subscribe(replies.received)
        stack.callback(stub.unsubscribe, replies.received)
        await load(port, process.pid, replies, corpus, 1, 2, f"{contender.name}-warm-up")  # TensorFlow graphs
        for parents, each in LEVELS:
            print(f"[twilio:{contender.name}] {parents} parents…", flush=True)
            result = await load(port, process.pid, replies, corpus, parents, each, f"{contender.name}-{parents}")
            contender.figures.update({f"c={parents} {k}": v for k, v in result.items()})
        contender.figures.update(await probe(port, stub, tag))
    finally:
        stop_process(process)
        stack.close()


def action_server_command(port: int) -> List[str]:
    """The project's action server as `make run` starts it, on `port`."""
    return supervisor.action_server(replace(get_settings(), actions_port=port)).command


def contenders(bench_dir: Path, stub: TwilioStub) -> List[Contender]:
    settings = get_settings()
    # A copy, so both serve the same model even if `make train` replaces models/current.tar.gz meanwhile.
    model = str(bench_dir / "twilio-model.tar.gz")
    shutil.copyfile(settings.model_path, model)
    python = sys.executable
    base_env = {**os.environ, "ACTIONS_PORT": str(free_port()), "TWILIO_API_BASE": stub.base_url}
    ours_dir, stock_dir = bench_dir / "twilio-ours", bench_dir / "twilio-stock"
    for directory in (ours_dir, stock_dir):
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "app.db").unlink(missing_ok=True)
        upgrade(f"sqlite:///{directory / 'app.db'}")  # each side's action server keeps its handoffs here
    stock_credentials = stock_dir / "credentials.yml"
    stock_credentials.write_text(
        f"twilio:\n  account_sid: {ACCOUNT_SID}\n  auth_token: {AUTH_TOKEN}\n  twilio_number: \"{OUR_NUMBER}\"\n")
    rasa_args = ["run", "--model", model, "--endpoints", str(settings.project_root / "endpoints.yml")]
    ours = Contender("this project", rasa(*rasa_args, "--credentials", str(settings.project_root / "credentials.yml")), {
        **base_env, "DATABASE_URL": f"sqlite:///{ours_dir / 'app.db'}", "BOT_VAR_DIR": str(ours_dir),
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "PUBLIC_URL": PUBLIC_URL,
        "TWILIO_SMS_FROM": OUR_NUMBER, "SENDER_ID_SECRET": "bench"})
    stock = Contender("rasa twilio", [python, "-m", "benchmarks.twilio_peer", *rasa_args, "--credentials",
                                      str(stock_credentials)], {
        **base_env, "DATABASE_URL": f"sqlite:///{stock_dir / 'app.db'}", "BOT_VAR_DIR": str(stock_dir)})
    return [ours, stock]


def print_table(ours: Contender, stock: Contender) -> None:
    print(f"\n{'Twilio webhook':44} {'this project':>13} {'rasa twilio':>12} {'ratio':>6}")
    for key, value in ours.figures.items():
        other = stock.figures.get(key, float("nan"))
        ratio = value / other if other else float("nan")
        print(f"{key:44} {value:13.1f} {other:12.1f} {ratio:6.2f}")
    print("ratio = this project / Rasa's built-in twilio connector (same model, SQLite tracker store)")


def main(argv: Optional[List[str]] = None) -> int:
    bench_dir = get_settings().var_dir / "bench"
    bench_dir.mkdir(parents=True, exist_ok=True)  # run alone on a new clone, nothing has made it
    corpus = texts()
    with TwilioStub() as stub:
        ours, stock = contenders(bench_dir, stub)
        for tag, contender in enumerate((ours, stock), start=10):
            log = bench_dir / f"twilio-{contender.name.replace(' ', '-')}.log"
            print(f"[twilio:{contender.name}] serving {bench_dir / 'twilio-model.tar.gz'} (log: {log})", flush=True)
            asyncio.run(measure(contender, stub, corpus, log, tag))
    print_table(ours, stock)
    (bench_dir / "twilio.json").write_text(json.dumps([asdict(c) for c in (ours, stock)], indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
