"""`python -m bot run --replicas 2` (what `make run-cluster` runs) while its processes are killed.

Two Rasa replicas, the action server and the dashboard on two throwaway PostgreSQL databases
(application data, conversations) and the machine's Redis (lock store), Twilio played by the stub.
Those are all the processes there are: the inbox worker and the outbox sender are tasks inside
each Rasa replica (`bot/channels/twilio.py`), so killing a replica kills its worker and sender.

Parents text signed messages, each in order, alternating between the replicas' webhooks as a load
balancer would; a webhook that fails or does not answer is sent again to the other replica, as
Twilio retries. Every fourth parent reports an emergency and then consents. Meanwhile processes
are killed with SIGKILL at random moments (the supervisor restarts them): in the short run in
`make test`, one random replica; in `make chaos` (`CLUSTER_PARENTS`, `CLUSTER_KILLS`), every kind
of process at least once, then random ones. `CLUSTER_SEED` replays a run's choice of victims and
moments. Then the four checks of issue 7, each printed as counts:

1. every acknowledged message was processed exactly once, in order per parent;
2. every consented handoff exists once;
3. no reply was sent twice (every text Twilio got belongs to one outbox row, each row sent once);
4. no tracker has gaps (each parent's tracker holds exactly their acknowledged messages, in
   order, each followed by the bot's answer).
"""
from __future__ import annotations

import http.client
import json
import os
import random
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Tuple

import pytest

from bot.messaging.pseudonym import sender_id_for
from bot.supervisor import MAX_RESTARTS_IN_WINDOW, RESTART_WINDOW_SECONDS
from tests.conftest import throwaway_postgres_database
from tests.integration.running_bot import RunningBot, child_pid, start_bot
from tests.integration.twilio_client import Webhook, new_sid, rows, twilio_env
from tests.twilio_stub import TwilioStub

pytestmark = pytest.mark.postgres

# `make test` runs the short version; `make chaos` sets these for the long one.
PARENTS = int(os.environ.get("CLUSTER_PARENTS", "16"))
KILLS = int(os.environ.get("CLUSTER_KILLS", "1"))
SEED = int(os.environ.get("CLUSTER_SEED", str(random.randrange(10 ** 6))))
MESSAGES_EACH = 5
TEXTS = ["hi", "what temp shud the room be", "can baby sleep on their side", "thanks", "is a sleeping bag ok"]
# Every fourth parent reports an emergency and consents: exactly one case each must exist.
RISK_TEXTS = ["help hes not breathing", "yes", "thanks", "hi", "thanks"]
SECRET = twilio_env("")["SENDER_ID_SECRET"].encode()
# How long a parent's message is retried. Longer than any outage the kills can cause (both
# replicas restarting at once takes a minute or more here): a parent who gave up would leave a
# request in a restarting replica's backlog, stored and answered after the checks have run.
WEBHOOK_PATIENCE_SECONDS = 300
# Seconds between kills: random, so a kill lands anywhere in receiving, processing and sending.
KILL_GAP_SECONDS = (1.0, 10.0)
DRAIN_TIMEOUT_SECONDS = 300


def address_of(n: int) -> str:
    return f"+4477009{n + 500:05d}"


@dataclass
class Traffic:
    """What the simulated parents sent and what the replicas acknowledged."""

    acknowledged: Dict[str, List[str]] = field(default_factory=dict)
    answered_by: List[int] = field(default_factory=lambda: [0, 0])
    given_up: List[str] = field(default_factory=list)

    def parent(self, replicas: List[Webhook], n: int) -> None:
        """Text MESSAGES_EACH messages in order, each retried until a replica acknowledges it."""
        address = address_of(n)
        self.acknowledged[address] = []
        texts = RISK_TEXTS if n % 4 == 0 else TEXTS
        for m in range(MESSAGES_EACH):
            sid, attempt, deadline = new_sid(), 0, time.monotonic() + WEBHOOK_PATIENCE_SECONDS
            while time.monotonic() < deadline:
                which = (n + m + attempt) % 2
                attempt += 1
                try:
                    status, _ = replicas[which].text(address, texts[m], sid=sid)
                except (OSError, http.client.HTTPException):  # refused, reset, or no answer in time
                    status = 0
                if status == 200:
                    self.acknowledged[address].append(sid)
                    self.answered_by[which] += 1
                    break
                time.sleep(0.25)
            else:
                self.given_up.append(sid)
                return  # a later message must not overtake one that was never acknowledged
            time.sleep(0.3)


def kill_plan(bot: RunningBot, chooser: random.Random) -> List[Tuple[str, str]]:
    """(name, command-line fragment) of each process to kill, in order. Every kind of process
    once (in random order) if there are enough kills, a replica first in the short run."""
    replicas = [(f"replica {i + 1}", f"--port {bot.rasa_port + i}") for i in range(2)]
    kinds = [*replicas, ("action server", "run actions"), ("dashboard", "-m bot dashboard")]
    if KILLS < len(kinds):
        return [chooser.choice(replicas)] + [chooser.choice(kinds) for _ in range(KILLS - 1)]
    first = chooser.sample(kinds, len(kinds))
    return first + [chooser.choice(kinds) for _ in range(KILLS - len(kinds))]


def kill_at_random_moments(bot: RunningBot, plan: List[Tuple[str, str]], chooser: random.Random,
                           started: float) -> List[str]:
    """SIGKILL each planned process after a random pause. A process the supervisor would give up
    on (killed too often in its restart window) is spared; one still restarting is skipped."""
    killed: List[str] = []
    kill_times: Dict[str, List[float]] = {}
    for name, command in plan:
        time.sleep(chooser.uniform(*KILL_GAP_SECONDS))
        now = time.monotonic()
        recent = [t for t in kill_times.get(name, []) if now - t < RESTART_WINDOW_SECONDS]
        if len(recent) >= MAX_RESTARTS_IN_WINDOW - 1:
            continue
        try:
            os.kill(child_pid(bot.process.pid, command), signal.SIGKILL)
        except LookupError:
            continue  # between its death and its restart
        kill_times.setdefault(name, []).append(now)
        killed.append(f"{name} at {now - started:.1f} s")
    return killed


def wait_until_drained(app_url: str) -> None:
    """Until nothing is pending in the inbox or waiting in the outbox (a message in doubt is
    settled with Twilio some 30 s after its sender died)."""
    deadline = time.monotonic() + DRAIN_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        pending = rows(app_url, "SELECT count(*) AS n FROM inbound_messages WHERE status = 'pending'")[0]["n"]
        waiting = rows(app_url, "SELECT count(*) AS n FROM outbound_messages "
                                "WHERE status IN ('queued', 'sending')")[0]["n"]
        if not pending and not waiting:
            return
        time.sleep(0.5)


def tracker_turns(tracker_url: str, address: str) -> List[Tuple[str, List[str]]]:
    """(message_id, the bot's texts after it) for each user turn in the parent's tracker, in order."""
    turns: List[Tuple[str, List[str]]] = []
    for event in rows(tracker_url, "SELECT type_name, data FROM events WHERE sender_id = :s ORDER BY id",
                      s=sender_id_for(address, SECRET)):
        data = json.loads(event["data"])
        if event["type_name"] == "user":
            turns.append((data.get("message_id"), []))
        elif event["type_name"] == "bot" and turns and data.get("text"):
            turns[-1][1].append(data["text"])
    return turns


def test_killing_replicas_the_action_server_and_the_dashboard_at_random_loses_nothing_and_repeats_nothing(
        tmp_path, model_path):
    chooser = random.Random(SEED)
    with throwaway_postgres_database() as app_url, throwaway_postgres_database() as tracker_url, \
            TwilioStub() as stub:
        bot = start_bot(app_url, token="t", tmp_path=tmp_path, args=("--replicas", "2"), extra_env={
            **twilio_env(stub.base_url), "TRACKER_STORE_URL": tracker_url,
            "LOCK_STORE_URL": "redis://127.0.0.1:6379/0"})
        try:
            replicas = [Webhook(bot.rasa_port), Webhook(bot.rasa_port + 1)]
            traffic = Traffic()
            threads = [threading.Thread(target=traffic.parent, args=(replicas, n)) for n in range(PARENTS)]
            started = time.monotonic()
            for thread in threads:
                thread.start()
            killed = kill_at_random_moments(bot, kill_plan(bot, chooser), chooser, started)
            for thread in threads:
                thread.join(600)
            wait_until_drained(app_url)

            acknowledged = [sid for sids in traffic.acknowledged.values() for sid in sids]
            inbound = rows(app_url, "SELECT id, message_sid, status FROM inbound_messages")
            outbound = rows(app_url, "SELECT id, to_address, inbound_id, body, twilio_sid, status, attempts, "
                                     "error_code FROM outbound_messages")
            cases = Counter({c["sender_id"]: c["n"] for c in rows(
                app_url, "SELECT sender_id, count(*) AS n FROM handoffs GROUP BY sender_id")})
            turns = {address: tracker_turns(tracker_url, address) for address in traffic.acknowledged}

            # 1. Processed exactly once, in order: Rasa saw each acknowledged message once (its
            # MessageSid is the user event's message_id), in the order the parent sent them.
            processed = Counter(r["message_sid"] for r in inbound if r["status"] == "processed")
            seen_by_rasa = Counter(sid for parent_turns in turns.values() for sid, _ in parent_turns)
            once = sum(processed[sid] == 1 and seen_by_rasa[sid] == 1 for sid in acknowledged)
            in_order = sum([sid for sid, _ in turns[a] if sid in set(sids)] == sids
                           for a, sids in traffic.acknowledged.items())
            # 2. Each consenting parent has exactly one case; nobody else has one.
            consenting = {sender_id_for(address_of(n), SECRET) for n in range(0, PARENTS, 4)}
            cases_once = sum(cases[s] == 1 for s in consenting)
            stray_cases = sum(n for s, n in cases.items() if s not in consenting)
            # 3. No reply sent twice: every text Twilio got is one row's, and each row was sent once.
            at_twilio = {m.sid for m in stub.sent}
            recorded = {r["twilio_sid"] for r in outbound}
            sent_twice = sum(m.sid not in recorded for m in stub.sent)  # a second copy of some row
            not_sent = sum(r["status"] != "sent" or r["twilio_sid"] not in at_twilio for r in outbound)
            queued_twice = len(outbound) - len({(r["inbound_id"], r["body"]) for r in outbound})
            unanswered = len({r["id"] for r in inbound} - {r["inbound_id"] for r in outbound})
            # 4. No gaps: each tracker holds exactly the parent's acknowledged messages, in order,
            # and the bot's answer to each.
            whole = sum([sid for sid, _ in turns[a]] == sids and all(replies for _, replies in turns[a])
                        for a, sids in traffic.acknowledged.items())

            print(f"\nFault test: {PARENTS} parents x {MESSAGES_EACH} messages, seed {SEED} "
                  f"(CLUSTER_SEED={SEED} replays the kills)")
            print(f"  killed: {', '.join(killed) or 'nothing'}")
            print(f"  acknowledged {len(acknowledged)} of {PARENTS * MESSAGES_EACH} "
                  f"(replica 1: {traffic.answered_by[0]}, replica 2: {traffic.answered_by[1]}), "
                  f"given up: {len(traffic.given_up)}")
            print(f"  1. processed exactly once: {once} of {len(acknowledged)}; "
                  f"parents whose messages were processed in order: {in_order} of {PARENTS}")
            print(f"  2. consented handoffs: {cases_once} of {len(consenting)} consenting parents have "
                  f"exactly one case; cases for anyone else: {stray_cases}")
            print(f"  3. replies: {len(outbound)} outbox rows, {len(stub.sent)} texts at Twilio; "
                  f"sent twice: {sent_twice}, not sent: {not_sent}, queued twice: {queued_twice}, "
                  f"messages without a reply: {unanswered}")
            print(f"  4. trackers with every acknowledged message in order, each answered, no gaps: "
                  f"{whole} of {PARENTS}")
            log = "".join(bot.output)
            print(f"  in doubt (sender killed mid-send, or no answer: {log.count('Twilio did not answer')}): "
                  f"{log.count('in doubt and Twilio has it')} found at Twilio, "
                  f"{log.count('in doubt and Twilio does not have it')} queued again")
            if sent_twice:
                print_duplicates(stub, outbound, bot.output)

            assert len(acknowledged) == PARENTS * MESSAGES_EACH and not traffic.given_up
            assert sorted(r["message_sid"] for r in inbound) == sorted(acknowledged)  # nothing unacknowledged stored
            assert once == len(acknowledged) and in_order == PARENTS
            assert cases_once == len(consenting) and stray_cases == 0
            assert sent_twice == not_sent == queued_twice == unanswered == 0
            assert whole == PARENTS
        finally:
            if bot.process.poll() is None:
                bot.stop_with_ctrl_c()


def print_duplicates(stub: TwilioStub, outbound: List[dict], output: List[str]) -> None:
    """For a failed run: each text Twilio got whose sid no outbox row holds, the rows to the same
    number with the same text, and the replicas' log lines about those rows."""
    recorded = {r["twilio_sid"] for r in outbound}
    for extra in [m for m in stub.sent if m.sid not in recorded]:
        print(f"  text no row holds: to {extra.to}, {extra.body[:40]!r}")
        for row in [r for r in outbound if r["to_address"] == extra.to and r["body"] in extra.body]:
            print(f"    row {row['id']} ({row['status']}, {row['attempts']} attempts, "
                  f"last error {row['error_code']})")
            for line in output:
                if f"message {row['id']}" in line:
                    print("      " + line.rstrip()[:300])
