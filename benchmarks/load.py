"""Load benchmark: time to reply under open-loop load, one and two replicas, this project against stock Rasa.

Four deployments, started one after another, all answering signed Twilio webhooks (the twilio
library's RequestValidator signature) and sending their replies to the local Twilio stub
(tests/twilio_stub.py) through the real twilio client:

- **this project, 1 or 2 replicas**: `python -m bot run --replicas N` (what `make run-cluster` runs),
  application data and conversations in two throwaway PostgreSQL databases, the Redis lock store
  (`LOCK_STORE_URL`), the action server and the dashboard beside it, the live model (a copy).
- **stock, 1 or 2 replicas**: `rasa run` with Rasa's own twilio connector (benchmarks/twilio_peer.py
  points it at the stub), the default `rasa init` config model (`stock-peer`), Rasa's SQL tracker
  store on a throwaway PostgreSQL database and the in-memory lock store, which is what Rasa uses
  when none is configured. Two replicas are two such servers sharing that database: each has its
  own lock store, so nothing stops both from running a turn of the same conversation at once.

With two replicas the load generator sends each webhook to the next replica in turn, as a
round-robin load balancer in front of them would.

Load is open-loop: each simulated parent sends on its own clock (a fixed period, a random phase),
never waiting for a reply, so a slow server meets the same arrivals as a fast one. Each
deployment gets 10, 50 and 200 parents sending one message every 20 s (200 parents = 10 msg/s,
the target: p99 time to reply under 2 s), then 200 parents at higher rates (15, 20, 30, 40, 50,
60, 70, 80, 100 msg/s) until p99 reaches 3 s, or, if 10 msg/s was already over, at 7.5 and 5 msg/s until it is under.
Time to reply runs from sending the webhook to the stub receiving the first text that answers it
(matched exactly: ours through the outbox, `outbound_messages.inbound_id`; the stock connector's
texts carry the MessageSid they answer, see twilio_peer.py). Besides the percentiles it counts:
webhooks that failed (non-2xx, refused, or not answered within Twilio's 15 s), messages never
answered (counted as infinitely late in the percentiles), texts sent twice for one message,
messages whose reply overtook the reply to the parent's earlier message (what the parent sees),
and parents whose conversation in the tracker store does not hold the messages that reached the
server once each, in the order they reached it (the ordering several replicas must keep; ours
knows arrival from its inbox, the stock connector's from the time twilio_peer.py stamps).
Server CPU per message counts every process of the deployment (not PostgreSQL or Redis).

Run: `make bench ARGS="--only load"` (about 45 minutes; `--quick` about 15, with 20-second
windows and fewer steps). Options: `--duration S`, `--setups ours,stock`, `--replicas 1,2`,
`--reuse-models` (serve var/bench/models/stock-peer.tar.gz even if the data changed since it was
trained; without it a missing or stale stock model is trained first, ~20 minutes on a quiet
2-core machine), `--stock-model PATH` (serve another model in the stock setup, e.g. this
project's, to compare the channels and lock stores alone). Figures go to stdout and
var/bench/load.json, which also lists each window's slowest 2% of messages with their texts (what
sets p99). For this project each window also splits every message's time into steps, from
timestamps the deployment keeps anyway (`our_stages`): the webhook until the inbox row is being
stored, from there until Rasa has parsed the message, the dialogue, the conversation saved and the
reply queued, and the reply's send; stdout prints each step's p50 / p99, load.json has them per
slow message too.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple
from urllib.parse import urlencode, urlparse

import aiohttp
from twilio.request_validator import RequestValidator

from benchmarks.common import (PEER_NAME, cpu_seconds_by_command, load_average, stop_process, summary,
                               train_model, wait_ready, write_peer_config)
from benchmarks.twilio import ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER, PUBLIC_URL, WEBHOOK, texts
from benchmarks.twilio_peer import ARRIVED_AT_FIELD, INBOUND_SID_FIELD
from bot.config import get_settings
from bot.messaging.pseudonym import sender_id_for
from tests.conftest import free_port, throwaway_postgres_database
from tests.integration.running_bot import start_bot
from tests.integration.twilio_client import rows
from tests.twilio_stub import SentMessage, TwilioStub

PERIOD_SECONDS = 20.0  # each parent's interval in the concurrency levels
LEVELS = (10, 50, 200)  # concurrent parents, one message every PERIOD_SECONDS each
STEP_PARENTS = 200
# msg/s offered after the 10 msg/s of the 200-parent level; on 2026-11-26 both two-replica setups
# still held 60, so the steps go on to tell them apart, and on 2026-11-28 every setup's ceiling lay
# between 40 and 60 or 60 and 80, so the steps there are 10 msg/s apart.
STEP_RATES = (15, 20, 30, 40, 50, 60, 70, 80, 100)
QUICK_STEP_RATES = (20, 40)
STEP_DOWN_RATES = (7.5, 5)  # when 10 msg/s is already too much
QUICK_STEP_DOWN_RATES = (5,)
TARGET_P99_SECONDS = 2.0
STEP_P99_SECONDS = 3.0
WEBHOOK_TIMEOUT_SECONDS = 15.0  # how long Twilio waits for a webhook's answer
DRAIN_SECONDS = 60.0  # after a window's last webhook, how long its replies may still come
BURST_SHARE = 0.1  # of a parent's turns that are two texts in quick succession
BURST_GAP_SECONDS = 0.5
SLOWEST_SHARE = 0.02  # of a window's messages listed in load.json with their texts and times
SENDER_ID_SECRET = "bench-load"
REDIS_URL = "redis://127.0.0.1:6379/0"


@dataclass
class Sent:
    """One webhook the load generator sent."""

    sid: str
    address: str
    text: str
    sent_at: float
    sent_epoch: float = float("nan")  # the same moment on the wall clock, which database timestamps use
    acked_at: float = float("nan")
    status: str = "pending"  # HTTP status, or why there was none

    @property
    def acknowledged(self) -> bool:
        return self.status.startswith("2")


@dataclass
class Window:
    """One load window: `parents` parents, each sending every `period` seconds for `duration` seconds."""

    parents: int
    period: float
    duration: float
    figures: Dict[str, float] = field(default_factory=dict)

    @property
    def offered_rate(self) -> float:
        return self.parents / self.period


@dataclass
class Deployment:
    """A running setup: the webhook ports to send to, and how to read what it did."""

    setup: str
    replicas: int
    ports: List[int]
    root_pids: List[int]
    answered: Callable[[List[SentMessage]], Dict[str, List[SentMessage]]]  # MessageSid -> its texts
    # MessageSid -> when (or in which order) it reached the server, for those known to have
    arrivals: Callable[[List[Sent], Dict[str, List[SentMessage]]], Dict[str, float]]
    processed: Callable[[List[Sent]], Dict[str, List[str]]]  # phone number -> MessageSids in its tracker
    settled: Callable[[List[Sent], Dict[str, List[SentMessage]]], bool]  # nothing more will be sent
    # MessageSid -> seconds spent in each step on the way to its reply, where the setup records them
    stages: Optional[Callable[[List[Sent], Dict[str, List[SentMessage]]], Dict[str, Dict[str, float]]]] = None
    windows: List[Window] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.setup}, {self.replicas} replica{'s' if self.replicas > 1 else ''}"

    def pids(self) -> List[int]:
        return [pid for root in self.root_pids for pid in process_tree(root)]


def process_tree(root: int) -> List[int]:
    """`root` and every live descendant: a deployment's CPU is all of its processes."""
    children: Dict[int, List[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, queue = [], [root]
    while queue:
        pid = queue.pop()
        found.append(pid)
        queue.extend(children.get(pid, []))
    return found


# --- the load generator ---------------------------------------------------------------------

async def post_webhook(session: aiohttp.ClientSession, port: int, message: Sent) -> None:
    """Send one message as Twilio would: a form post signed for PUBLIC_URL with the auth token."""
    form = {"MessageSid": message.sid, "AccountSid": ACCOUNT_SID, "From": message.address,
            "To": OUR_NUMBER, "Body": message.text, "NumMedia": "0"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + WEBHOOK, form)
    try:
        async with session.post(f"http://127.0.0.1:{port}{WEBHOOK}", data=urlencode(form),
                                headers={"Content-Type": "application/x-www-form-urlencoded",
                                         "X-Twilio-Signature": signature}) as response:
            await response.read()
            message.status = str(response.status)
    except asyncio.TimeoutError:
        message.status = "no answer in 15 s"
    except aiohttp.ClientError as error:
        message.status = type(error).__name__
    message.acked_at = time.perf_counter()


def schedule(window: Window, number: int, corpus: Sequence[str]) -> List[Tuple[float, str, str]]:
    """(seconds from the start, address, text) for every message of the window, in time order.

    Each parent starts at a random phase and keeps its period. At BURST_SHARE of their turns they
    send that turn's message and the next one BURST_GAP_SECONDS apart (a thought split over two
    texts) and skip the next turn, so the rate stays the same (but for a burst on a parent's last
    turn, which adds one message); the second text reaches the other
    replica while the first is still being answered, which is what per-parent ordering is about.
    Texts are consecutive held-out questions from a random offset, so no parent sends the same
    text twice (the tracker check tells messages apart by text)."""
    plan = []
    for parent in range(window.parents):
        address = f"+447{number:03d}{parent:06d}"
        start, offset = random.uniform(0, window.period), random.randrange(len(corpus))
        turns, n = int((window.duration - start) // window.period) + 1, 0
        while n < turns:
            at = start + n * window.period
            texts = 2 if random.random() < BURST_SHARE else 1
            for k in range(texts):
                plan.append((at + k * BURST_GAP_SECONDS, address, corpus[(offset + n + k) % len(corpus)]))
            n += texts
    return sorted(plan)


async def send_window(deployment: Deployment, plan: List[Tuple[float, str, str]]) -> List[Sent]:
    """Send every planned message on time, whatever the server is doing (open loop); round-robin
    over the replicas. Returns when every webhook has been answered or has timed out."""
    sent: List[Sent] = []
    tasks = []
    timeout = aiohttp.ClientTimeout(total=WEBHOOK_TIMEOUT_SECONDS)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=0)) as session:
        start = time.perf_counter()
        for n, (at, address, text) in enumerate(plan):
            await asyncio.sleep(max(0.0, start + at - time.perf_counter()))
            message = Sent("SM" + uuid.uuid4().hex, address, text, time.perf_counter(), time.time())
            sent.append(message)
            tasks.append(asyncio.create_task(
                post_webhook(session, deployment.ports[n % len(deployment.ports)], message)))
        await asyncio.gather(*tasks)
    return sent


async def wait_settled(deployment: Deployment, sent: List[Sent], received: List[SentMessage]) -> None:
    """Wait until the deployment has nothing more to send for these messages, or DRAIN_SECONDS."""
    deadline = time.monotonic() + DRAIN_SECONDS
    while time.monotonic() < deadline:
        if deployment.settled(sent, deployment.answered(texts_to(received, sent))):
            break
        await asyncio.sleep(0.5)
    await asyncio.sleep(1.0)  # a text sent twice would arrive just after the first


def texts_to(received: List[SentMessage], sent: List[Sent]) -> List[SentMessage]:
    """The texts the stub received for this window's parents (`received` grows from its threads)."""
    addresses = {m.address for m in sent}
    return [m for m in list(received) if m.to in addresses]


# --- what a window measured -----------------------------------------------------------------

def time_to_reply(sent: List[Sent], answered: Dict[str, List[SentMessage]]) -> List[float]:
    """Seconds from sending each message to its first text; `inf` for a message never answered."""
    return [answered[m.sid][0].received_at - m.sent_at if m.sid in answered else float("inf") for m in sent]


def slowest(sent: List[Sent], latencies: List[float], stages: Dict[str, Dict[str, float]]) -> List[Dict[str, object]]:
    """The SLOWEST_SHARE slowest messages (at least one), slowest first: what sets p99. `after` is
    how long after the same parent's previous message each was sent (a burst's second text waits
    for the first's turn); `stages`, where the setup records them, where its time went."""
    previous: Dict[str, float] = {}
    gaps = []
    for message in sent:  # in sending order
        gaps.append(message.sent_at - previous.get(message.address, float("-inf")))
        previous[message.address] = message.sent_at
    ranked = sorted(zip(latencies, gaps, sent), key=lambda item: -item[0])
    return [{"seconds": latency, "after (s)": gap, "text": message.text,
             **({"stages (s)": stages[message.sid]} if message.sid in stages else {})}
            for latency, gap, message in ranked[:max(1, math.ceil(len(sent) * SLOWEST_SHARE))]]


def stage_percentiles(stages: Dict[str, Dict[str, float]]) -> Dict[str, Dict[str, float]]:
    """p50 / p95 / p99 of each step over the window's messages, in seconds: which step has the tail."""
    names = next(iter(stages.values()), {})
    return {name: {k.replace(" (ms)", ""): v / 1000 for k, v in summary(s[name] for s in stages.values()).items()}
            for name in names}


def duplicates(answered: Dict[str, List[SentMessage]]) -> int:
    """Texts that repeat an earlier text of the same reply: the same answer sent twice."""
    return sum(len(texts) - len({t.body for t in texts}) for texts in answered.values())


def overtaken(sent: List[Sent], answered: Dict[str, List[SentMessage]]) -> int:
    """Messages answered before an earlier message of the same parent was: out of order as the
    parent sees it."""
    latest: Dict[str, float] = {}
    count = 0
    for message in sent:  # in sending order
        first = answered.get(message.sid)
        if not first:
            continue
        if first[0].received_at < latest.get(message.address, float("-inf")):
            count += 1
        latest[message.address] = max(latest.get(message.address, float("-inf")), first[0].received_at)
    return count


def order_broken(sent: List[Sent], arrivals: Dict[str, float], processed: Dict[str, List[str]]) -> int:
    """Parents whose conversation does not hold every answered message (those in `arrivals`)
    exactly once, in the order they reached the server: the per-parent ordering several replicas
    must keep. A message not answered yet is left out: "no reply" counts it. (The
    order of sending is not the yardstick: two texts sent 0.5 s apart can reach the server the
    other way round, and no server can see that.)"""
    bad = 0
    for address in {m.address for m in sent}:
        arrived = sorted((m.sid for m in sent if m.address == address and m.sid in arrivals), key=arrivals.get)
        stored = [sid for sid in processed.get(address, []) if sid in arrivals]
        bad += stored != arrived
    return bad


def user_turns(tracker_url: str, senders: Dict[str, str]) -> Dict[str, List[dict]]:
    """Sender id -> the `data` of each user event in its tracker, in order."""
    found: Dict[str, List[dict]] = {}
    for row in rows(tracker_url, "SELECT sender_id, data FROM events WHERE type_name = 'user' "
                                 "AND sender_id = ANY(:senders) ORDER BY id", senders=list(senders)):
        found.setdefault(senders[row["sender_id"]], []).append(json.loads(row["data"]))
    return found


async def run_window(deployment: Deployment, window: Window, number: int, corpus: Sequence[str],
                     received: List[SentMessage]) -> None:
    pids = deployment.pids()
    before = cpu_seconds_by_command(*pids)
    sent = await send_window(deployment, schedule(window, number, corpus))
    await wait_settled(deployment, sent, received)
    by_command = {name: (seconds - before.get(name, 0.0)) / len(sent) * 1000
                  for name, seconds in cpu_seconds_by_command(*pids).items()}
    answered = deployment.answered(texts_to(received, sent))
    latencies = time_to_reply(sent, answered)
    stages = deployment.stages(sent, answered) if deployment.stages else {}
    replied = [m.sent_at + t for m, t in zip(sent, latencies) if math.isfinite(t)]
    span = (max(replied) - min(m.sent_at for m in sent)) if replied else float("nan")
    window.figures = {
        "messages": len(sent), "offered msg/s": len(sent) / window.duration,
        "answered msg/s": len(replied) / span,
        **{k.replace(" (ms)", " (s)"): v / 1000 for k, v in summary(latencies, "reply ").items()},
        "ack p99 (s)": summary([m.acked_at - m.sent_at for m in sent])["p99 (ms)"] / 1000,
        "webhook errors": sum(not m.acknowledged for m in sent),
        "no reply": sum(not math.isfinite(t) for t in latencies),
        "sent twice": duplicates(answered), "overtaken": overtaken(sent, answered),
        "order broken": order_broken(sent, {sid: at for sid, at in deployment.arrivals(sent, answered).items()
                                            if sid in answered}, deployment.processed(sent)),
        "server CPU/msg (ms)": sum(by_command.values()), "load average": load_average(),
        "CPU/msg by process (ms)": dict(sorted(by_command.items(), key=lambda item: -item[1])),
        "stages (s)": stage_percentiles(stages),
        "slowest": slowest(sent, latencies, stages),
    }


# --- the deployments ------------------------------------------------------------------------

def our_answers(app_url: str) -> Callable[[List[SentMessage]], Dict[str, List[SentMessage]]]:
    """Match the stub's texts to MessageSids through the outbox: each outbound row names its inbox row."""
    def answered(texts: List[SentMessage]) -> Dict[str, List[SentMessage]]:
        inbound_of = {r["twilio_sid"]: r["message_sid"] for r in rows(
            app_url, "SELECT o.twilio_sid, i.message_sid FROM outbound_messages o "
                     "JOIN inbound_messages i ON i.id = o.inbound_id WHERE o.twilio_sid IS NOT NULL")}
        return group(texts, lambda text: inbound_of.get(text.sid))
    return answered


def stock_settled(sent: List[Sent], answered: Dict[str, List[SentMessage]]) -> bool:
    """The stock connector sends its replies before answering the webhook; only a webhook the load
    generator gave up on (Twilio's 15 s) may still be running."""
    return all(m.sid in answered or m.acked_at - m.sent_at < WEBHOOK_TIMEOUT_SECONDS for m in sent)


def stock_arrivals(sent: List[Sent], answered: Dict[str, List[SentMessage]]) -> Dict[str, float]:
    """When each answered webhook reached its replica, as twilio_peer.py stamps it on the replies."""
    return {sid: float(texts[0].params[ARRIVED_AT_FIELD]) for sid, texts in answered.items()}


def stock_processed(tracker_url: str) -> Callable[[List[Sent]], Dict[str, List[str]]]:
    """Rasa's connector keys a conversation by the phone number and keeps no MessageSid: a
    parent's texts are all different, so the text says which message it was."""
    def processed(sent: List[Sent]) -> Dict[str, List[str]]:
        sid_of = {(m.address, m.text): m.sid for m in sent}
        turns = user_turns(tracker_url, {m.address: m.address for m in sent})
        return {address: [sid_of.get((address, t.get("text")), "") for t in events]
                for address, events in turns.items()}
    return processed


def stock_answers(texts: List[SentMessage]) -> Dict[str, List[SentMessage]]:
    return group(texts, lambda text: text.params.get(INBOUND_SID_FIELD))


def group(texts: List[SentMessage], key: Callable[[SentMessage], Optional[str]]) -> Dict[str, List[SentMessage]]:
    found: Dict[str, List[SentMessage]] = {}
    for text in sorted(texts, key=lambda t: t.received_at):
        sid = key(text)
        if sid:
            found.setdefault(sid, []).append(text)
    return found


def our_arrivals(app_url: str) -> Callable[[List[Sent], Dict[str, List[SentMessage]]], Dict[str, float]]:
    """The inbox's id is the order in which messages were stored, i.e. reached a replica."""
    def arrivals(sent: List[Sent], answered: Dict[str, List[SentMessage]]) -> Dict[str, float]:
        return {r["message_sid"]: float(r["id"]) for r in rows(
            app_url, "SELECT message_sid, id FROM inbound_messages WHERE message_sid = ANY(:sids)",
            sids=[m.sid for m in sent])}
    return arrivals


def our_sender_ids(sent: List[Sent]) -> Dict[str, str]:
    """Sender id -> phone number: this project's conversations are kept under a pseudonym."""
    secret = SENDER_ID_SECRET.encode()
    return {sender_id_for(m.address, secret): m.address for m in sent}


def our_processed(tracker_url: str) -> Callable[[List[Sent]], Dict[str, List[str]]]:
    """Each user event of ours carries its MessageSid as `message_id`."""
    def processed(sent: List[Sent]) -> Dict[str, List[str]]:
        turns = user_turns(tracker_url, our_sender_ids(sent))
        return {address: [t.get("message_id") for t in events] for address, events in turns.items()}
    return processed


def our_settled(app_url: str) -> Callable[[List[Sent], Dict[str, List[SentMessage]]], bool]:
    """Nothing in the inbox waits and nothing in the outbox is unsent: every reply is out."""
    def settled(sent: List[Sent], answered: Dict[str, List[SentMessage]]) -> bool:
        return not rows(app_url, "SELECT 1 FROM inbound_messages WHERE status = 'pending' UNION ALL "
                                 "SELECT 1 FROM outbound_messages WHERE status IN ('queued', 'sending') LIMIT 1")
    return settled


# The steps `our_stages` splits a reply into, in order.
OUR_STAGES = ("webhook", "inbox to parsed", "dialogue", "saved and queued", "sent")


def our_stages(app_url: str, tracker_url: str
               ) -> Callable[[List[Sent], Dict[str, List[SentMessage]]], Dict[str, Dict[str, float]]]:
    """Where each answered message's time went, from timestamps the deployment records anyway (all
    on this machine's wall clock): the inbox row's `received_at` (the webhook's thread is storing it),
    the user event's timestamp (Rasa creates it once the message is parsed), the last event of the
    turn (the bot has answered), the inbox row's `processed_at` (the conversation is saved and the
    reply is being queued), and the stub's receipt of the reply."""
    def stages(sent: List[Sent], answered: Dict[str, List[SentMessage]]) -> Dict[str, Dict[str, float]]:
        inbox = {r["message_sid"]: r for r in rows(
            app_url, "SELECT message_sid, extract(epoch FROM received_at) AS received, "
                     "extract(epoch FROM processed_at) AS processed FROM inbound_messages "
                     "WHERE message_sid = ANY(:sids)", sids=[m.sid for m in sent if m.sid in answered])}
        turns = turn_times(tracker_url, list(our_sender_ids(sent)))
        found = {}
        for m in sent:
            row, turn = inbox.get(m.sid), turns.get(m.sid)
            if row is None or turn is None or row["processed"] is None:
                continue
            replied = m.sent_epoch + answered[m.sid][0].received_at - m.sent_at
            marks = [m.sent_epoch, float(row["received"]), *turn, float(row["processed"]), replied]
            found[m.sid] = {name: later - earlier for name, earlier, later in zip(OUR_STAGES, marks, marks[1:])}
        return found
    return stages


def turn_times(tracker_url: str, sender_ids: List[str]) -> Dict[str, Tuple[float, float]]:
    """MessageSid -> (its user event's timestamp, the timestamp of the last event before the
    conversation's next user event)."""
    found: Dict[str, Tuple[float, float]] = {}
    current: Tuple[str, Optional[str]] = ("", None)  # (sender id, MessageSid) of the turn being read
    for row in rows(tracker_url, "SELECT sender_id, type_name, timestamp, data FROM events "
                                 "WHERE sender_id = ANY(:senders) ORDER BY sender_id, id", senders=sender_ids):
        if row["type_name"] == "user":
            current = (row["sender_id"], json.loads(row["data"]).get("message_id"))
            found[current[1]] = (row["timestamp"], row["timestamp"])
        elif current[0] == row["sender_id"] and current[1] in found:
            found[current[1]] = (found[current[1]][0], row["timestamp"])
    return found


@contextlib.contextmanager
def ours(replicas: int, model: Path, stub: TwilioStub, bench_dir: Path) -> Iterator[Deployment]:
    """`python -m bot run --replicas N` on two throwaway PostgreSQL databases and Redis."""
    with throwaway_postgres_database() as app_url, throwaway_postgres_database() as tracker_url:
        run_dir = bench_dir / f"load-ours-{replicas}"
        shutil.rmtree(run_dir, ignore_errors=True)
        bot = start_bot(app_url, token="bench", tmp_path=run_dir, args=("--replicas", str(replicas)), extra_env={
            "BOT_MODEL": str(model), "TRACKER_STORE_URL": tracker_url, "LOCK_STORE_URL": REDIS_URL,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "PUBLIC_URL": PUBLIC_URL,
            "TWILIO_SMS_FROM": OUR_NUMBER, "TWILIO_API_BASE": stub.base_url,
            "SENDER_ID_SECRET": SENDER_ID_SECRET})
        try:
            yield Deployment("this project", replicas, [bot.rasa_port + n for n in range(replicas)],
                             [bot.process.pid], our_answers(app_url), our_arrivals(app_url),
                             our_processed(tracker_url), our_settled(app_url), our_stages(app_url, tracker_url))
        finally:
            (run_dir / "bot.log").write_text("".join(bot.output))
            if bot.process.poll() is None:
                bot.stop_with_ctrl_c()


def stock_endpoints(tracker_url: str, path: Path) -> Path:
    """Rasa's own SQL tracker store on `tracker_url`; no lock store (in memory), no action server."""
    url = urlparse(tracker_url)
    path.write_text(f"tracker_store:\n  type: SQL\n  dialect: postgresql\n  url: {url.hostname}\n"
                    f"  port: {url.port}\n  db: {url.path.lstrip('/')}\n  username: {url.username}\n")
    return path


@contextlib.contextmanager
def stock(replicas: int, model: Path, stub: TwilioStub, bench_dir: Path) -> Iterator[Deployment]:
    """`replicas` stock `rasa run` servers with Rasa's twilio connector on one tracker database."""
    with throwaway_postgres_database() as tracker_url, contextlib.ExitStack() as stack:
        run_dir = bench_dir / f"load-stock-{replicas}"
        shutil.rmtree(run_dir, ignore_errors=True)
        run_dir.mkdir(parents=True)
        credentials = run_dir / "credentials.yml"
        credentials.write_text(f"twilio:\n  account_sid: {ACCOUNT_SID}\n  auth_token: {AUTH_TOKEN}\n"
                               f"  twilio_number: \"{OUR_NUMBER}\"\n")
        endpoints = stock_endpoints(tracker_url, run_dir / "endpoints.yml")
        ports, processes = [free_port() for _ in range(replicas)], []
        for n, port in enumerate(ports):
            log = stack.enter_context(open(run_dir / f"replica-{n + 1}.log", "w"))
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "benchmarks.twilio_peer", "run", "--model", str(model), "--endpoints",
                 str(endpoints), "--credentials", str(credentials), "--port", str(port)],
                env={**os.environ, "TWILIO_API_BASE": stub.base_url}, stdout=log, stderr=subprocess.STDOUT))
            stack.callback(stop_process, processes[-1])
        for port, process in zip(ports, processes):
            asyncio.run(wait_ready(f"http://127.0.0.1:{port}/", process))
        yield Deployment("stock", replicas, ports, [p.pid for p in processes], stock_answers, stock_arrivals,
                         stock_processed(tracker_url), stock_settled)


# --- the run --------------------------------------------------------------------------------

def peer_model(bench_dir: Path, reuse: bool) -> Path:
    """The stock config's model: the one `make bench` trained, unless it is missing or, without
    --reuse-models, older than the domain or the data."""
    model = bench_dir / "models" / f"{PEER_NAME}.tar.gz"
    root = get_settings().project_root
    inputs = [root / "domain.yml", *(root / "data").rglob("*.yml")]
    if model.exists() and (reuse or model.stat().st_mtime > max(p.stat().st_mtime for p in inputs)):
        return model
    print(f"[load] training the stock model into {model} (about 20 minutes on 2 cores)…", flush=True)
    train_model(write_peer_config(bench_dir), model.parent, PEER_NAME)
    return model


def windows_for(quick: bool, duration: float) -> Tuple[List[Window], Tuple[List[Window], List[Window]]]:
    """The concurrency levels, and the rates to step up to or down to with STEP_PARENTS parents."""
    levels = [Window(parents, PERIOD_SECONDS, duration) for parents in LEVELS]
    up, down = (QUICK_STEP_RATES, QUICK_STEP_DOWN_RATES) if quick else (STEP_RATES, STEP_DOWN_RATES)
    return levels, tuple([Window(STEP_PARENTS, STEP_PARENTS / rate, duration) for rate in rates] for rates in (up, down))


async def exercise(deployment: Deployment, levels: List[Window], steps: Tuple[List[Window], List[Window]],
                   corpus: Sequence[str], received: List[SentMessage], numbers: Iterator[int]) -> None:
    """Warm up (first turns build caches), run the levels, then step the rate up until p99 reaches
    STEP_P99_SECONDS, or down until it is below it."""
    await run_window(deployment, Window(2 * deployment.replicas, 1.0, 2.0), next(numbers), corpus, received)
    for window in levels:
        await measure(deployment, window, next(numbers), corpus, received)
    up, down = steps
    within = levels[-1].figures["reply p99 (s)"] < STEP_P99_SECONDS
    # Already over at 10 msg/s: step down instead, until p99 is under the limit.
    for window in up if within else down:
        await measure(deployment, window, next(numbers), corpus, received)
        if (window.figures["reply p99 (s)"] < STEP_P99_SECONDS) != within:
            break


async def measure(deployment: Deployment, window: Window, number: int, corpus: Sequence[str],
                  received: List[SentMessage]) -> None:
    print(f"[load:{deployment.name}] {window.parents} parents, {window.offered_rate:.1f} msg/s offered, "
          f"{window.duration:.0f} s…", flush=True)
    await run_window(deployment, window, number, corpus, received)
    deployment.windows.append(window)
    f = window.figures
    print(f"    p50 {f['reply p50 (s)']:.2f} s, p99 {f['reply p99 (s)']:.2f} s, errors {f['webhook errors']}, "
          f"no reply {f['no reply']}, load average {f['load average']:.1f}", flush=True)
    if f["stages (s)"]:
        print("    steps p50 / p99 (s): " + ", ".join(f"{name} {p['p50']:.3f} / {p['p99']:.3f}"
                                                  for name, p in f["stages (s)"].items()), flush=True)


def highest_rate(deployment: Deployment) -> Optional[float]:
    passing = [w.offered_rate for w in deployment.windows
               if w.figures["reply p99 (s)"] < STEP_P99_SECONDS]
    return max(passing, default=None)


def target_window(deployment: Deployment) -> Optional[Window]:
    return next((w for w in deployment.windows if w.parents == STEP_PARENTS and w.period == PERIOD_SECONDS), None)


COLUMNS = ("offered msg/s", "answered msg/s", "reply p50 (s)", "reply p95 (s)", "reply p99 (s)", "ack p99 (s)",
           "webhook errors", "no reply", "sent twice", "overtaken", "order broken", "server CPU/msg (ms)",
           "load average")


def print_table(deployments: List[Deployment]) -> None:
    heads = ("parents", "msgs", "offered", "answered", "p50 s", "p95 s", "p99 s", "ack p99", "errors",
             "no reply", "twice", "overtaken", "order", "CPU ms", "load")
    print(f"\n{'Load (open loop, signed Twilio webhooks)':30} " + " ".join(f"{h:>9}" for h in heads))
    for deployment in deployments:
        for window in deployment.windows:
            cells = [window.parents, window.figures["messages"], *(window.figures[c] for c in COLUMNS)]
            print(f"{deployment.name:30} " + " ".join(f"{c:9.2f}" if isinstance(c, float) else f"{c:9}" for c in cells))
    print("p50/p95/p99: time to reply, webhook sent -> the stub receives the first text answering it "
          "(a message never answered counts as infinite); ack: the webhook's round trip; errors: non-2xx, "
          "refused or no answer in 15 s; twice: texts repeated within one reply; overtaken: replies that "
          "arrived before the reply to the parent's earlier message; order: parents whose conversation "
          "does not hold the messages that reached the server once each, in the order they reached it; CPU: all of the deployment's "
          "processes per message (not PostgreSQL or Redis); load: 1-minute load average after the window.")
    for deployment in deployments:
        target, best = target_window(deployment), highest_rate(deployment)
        verdict = (f"p99 {target.figures['reply p99 (s)']:.2f} s (target < {TARGET_P99_SECONDS:.0f} s: "
                   f"{'met' if target.figures['reply p99 (s)'] < TARGET_P99_SECONDS else 'NOT met'})"
                   if target else "not run")
        print(f"{deployment.name}: 200 parents every 20 s (10 msg/s) {verdict}; highest offered rate with p99 "
              f"< {STEP_P99_SECONDS:.0f} s: {f'{best:.1f} msg/s' if best else 'none tried'}")
        if target:
            shares = ", ".join(f"{name}: {ms:.1f}" for name, ms in target.figures["CPU/msg by process (ms)"].items())
            print(f"  CPU per message by process at 10 msg/s (ms): {shares}")


def finite(value: object) -> object:
    """JSON has no infinity: a p99 that is infinite (replies lost) is written as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite(v) for v in value]
    return value


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20-second windows, fewer steps")
    parser.add_argument("--duration", type=float, help="seconds per window (default 60, quick 20)")
    parser.add_argument("--setups", default="ours,stock")
    parser.add_argument("--replicas", default="1,2")
    parser.add_argument("--reuse-models", action="store_true")
    parser.add_argument("--stock-model", type=Path,
                        help="serve this model in the stock setup instead of the rasa init one (to compare "
                             "the channels and lock stores alone, or when there is no time to train it)")
    return parser.parse_known_args(argv)[0]


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    bench_dir = get_settings().var_dir / "bench"
    bench_dir.mkdir(parents=True, exist_ok=True)
    stock_model = args.stock_model.resolve() if args.stock_model else None
    models = {"ours": bench_dir / "load-model.tar.gz",
              "stock": stock_model or (peer_model(bench_dir, args.reuse_models) if "stock" in args.setups else None)}
    # A copy, so every deployment serves the same model even if `make train` replaces the live one.
    shutil.copyfile(get_settings().model_path, models["ours"])
    starters = {"ours": ours, "stock": stock}
    duration = args.duration or (20.0 if args.quick else 60.0)
    corpus, numbers, deployments = texts(), iter(range(1000)), []
    started = time.strftime("%Y-%m-%d %H:%M %Z")
    print(f"[load] {started}, {os.cpu_count()} cores, {duration:.0f} s windows, load average "
          f"{load_average():.1f}; stock setup serves {models['stock']}", flush=True)
    received: List[SentMessage] = []
    with TwilioStub() as stub:
        stub.subscribe(received.append)
        for replicas in (int(r) for r in args.replicas.split(",")):
            for setup in args.setups.split(","):
                levels, steps = windows_for(args.quick, duration)
                print(f"[load] starting {setup} with {replicas} replica(s)…", flush=True)
                with starters[setup](replicas, models[setup], stub, bench_dir) as deployment:
                    asyncio.run(exercise(deployment, levels, steps, corpus, received, numbers))
                deployments.append(deployment)
    print_table(deployments)
    (bench_dir / "load.json").write_text(json.dumps(finite({
        "started": started, "cores": os.cpu_count(), "models": {k: str(v) for k, v in models.items()},
        "deployments": [{"setup": d.setup, "replicas": d.replicas, "highest rate with p99 < 3 s": highest_rate(d),
                         "windows": [asdict(w) for w in d.windows]} for d in deployments]}), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
