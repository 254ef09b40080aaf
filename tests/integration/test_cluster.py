"""`python -m bot run --replicas 2` (what `make run-cluster` runs) under a fault: kill -9 a replica mid-burst.

Two Rasa replicas, the action server and the dashboard on two throwaway PostgreSQL databases
(application data, conversations) and the machine's Redis (lock store), Twilio played by the stub.
Parents text signed messages, each in order, alternating between the replicas' webhooks as a load
balancer would; a webhook that cannot be reached is sent to the other replica, as Twilio retries.
Every fourth parent reports an emergency and then consents. Part-way through, the second
replica is killed with SIGKILL (the supervisor restarts it); `make chaos` runs more parents and
more kills of a random replica or the action server. Then: every acknowledged message is
processed exactly once and in order per parent, no reply is sent twice, each consenting parent
has exactly one case, and each parent's tracker holds exactly their acknowledged messages, in
order, no gaps.
"""
from __future__ import annotations

import json
import os
import random
import signal
import threading
import time
import urllib.error
from typing import Dict, List

import pytest

from bot.messaging.pseudonym import sender_id_for
from tests.conftest import throwaway_postgres_database
from tests.integration.running_bot import child_pid, start_bot
from tests.integration.twilio_client import Webhook, new_sid, rows, twilio_env
from tests.twilio_stub import TwilioStub

pytestmark = pytest.mark.postgres

# `make test` runs the short version; `make chaos` sets these for the long one.
PARENTS = int(os.environ.get("CLUSTER_PARENTS", "16"))
KILLS = int(os.environ.get("CLUSTER_KILLS", "1"))
MESSAGES_EACH = 5
TEXTS = ["hi", "what temp shud the room be", "can baby sleep on their side", "thanks", "is a sleeping bag ok"]
# Every fourth parent reports an emergency and consents: exactly one case each must exist.
RISK_TEXTS = ["help hes not breathing", "yes", "thanks", "hi", "thanks"]
SECRET = twilio_env("")["SENDER_ID_SECRET"].encode()


def test_a_replica_killed_mid_burst_loses_no_acknowledged_message_and_nothing_is_done_twice(tmp_path, model_path):
    with throwaway_postgres_database() as app_url, throwaway_postgres_database() as tracker_url, \
            TwilioStub() as stub:
        bot = start_bot(app_url, token="t", tmp_path=tmp_path, args=("--replicas", "2"), extra_env={
            **twilio_env(stub.base_url), "TRACKER_STORE_URL": tracker_url,
            "LOCK_STORE_URL": "redis://127.0.0.1:6379/0"})
        try:
            replicas = [Webhook(bot.rasa_port), Webhook(bot.rasa_port + 1)]
            acknowledged: Dict[str, List[str]] = {}
            answered_by = [0, 0]

            def parent(n: int) -> None:
                address = f"+4477009{n + 500:05d}"
                acknowledged[address] = []
                texts = RISK_TEXTS if n % 4 == 0 else TEXTS
                for m in range(MESSAGES_EACH):
                    sid = new_sid()
                    for attempt in range(120):  # Twilio retries a webhook that failed
                        which = (n + m + attempt) % 2
                        try:
                            status, _ = replicas[which].text(address, texts[m], sid=sid)
                        except (urllib.error.URLError, ConnectionError):
                            status = 0
                        if status == 200:
                            acknowledged[address].append(sid)
                            answered_by[which] += 1
                            break
                        time.sleep(0.25)
                    time.sleep(0.3)

            threads = [threading.Thread(target=parent, args=(n,)) for n in range(PARENTS)]
            for thread in threads:
                thread.start()
            killed = []
            time.sleep(2.0)
            for k in range(KILLS):
                # The short run kills replica 2; the long one a random replica or the action server.
                target = (f"--port {bot.rasa_port + 1}" if k == 0 else
                          random.choice([f"--port {bot.rasa_port}", f"--port {bot.rasa_port + 1}", "run actions"]))
                try:
                    os.kill(child_pid(bot.process.pid, target), signal.SIGKILL)
                    killed.append(target)
                except LookupError:
                    pass  # still being restarted after the previous kill
                time.sleep(random.uniform(3, 12))
            for thread in threads:
                thread.join(600)

            total = sum(len(sids) for sids in acknowledged.values())
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                pending = rows(app_url, "SELECT count(*) AS n FROM inbound_messages WHERE status = 'pending'")[0]["n"]
                waiting = rows(app_url, "SELECT count(*) AS n FROM outbound_messages "
                                        "WHERE status IN ('queued', 'sending')")[0]["n"]
                if not pending and not waiting:
                    break
                time.sleep(0.5)

            inbound = rows(app_url, "SELECT message_sid, sender_id, status FROM inbound_messages ORDER BY id")
            outbound = rows(app_url, "SELECT inbound_id, body, twilio_sid, status FROM outbound_messages")
            sent_sids = [m.sid for m in stub.sent]
            cases = rows(app_url, "SELECT sender_id, count(*) AS n FROM handoffs GROUP BY sender_id")
            print(f"\n{PARENTS} parents, {total} messages acknowledged (replica 1: {answered_by[0]}, "
                  f"replica 2: {answered_by[1]}), killed: {killed}; "
                  f"{sum(r['status'] == 'processed' for r in inbound)} processed, {len(stub.sent)} texts sent, "
                  f"{len(cases)} parents with cases ({sum(c['n'] for c in cases)} cases)")
            assert total == PARENTS * MESSAGES_EACH
            assert all(r["status"] == "processed" for r in inbound)
            assert sorted(r["message_sid"] for r in inbound) == sorted(s for sids in acknowledged.values() for s in sids)
            assert len(sent_sids) == len(set(sent_sids)) == len(outbound)
            assert all(r["status"] == "sent" for r in outbound)
            parts = [(r["inbound_id"], r["body"]) for r in outbound]
            assert len(parts) == len(set(parts))  # no reply queued twice
            assert len({r["inbound_id"] for r in outbound}) == total  # every message answered
            consenting = {sender_id_for(f"+4477009{n + 500:05d}", SECRET) for n in range(0, PARENTS, 4)}
            assert {c["sender_id"]: c["n"] for c in cases} == {sender: 1 for sender in consenting}
            for address, sids in acknowledged.items():
                user_turns = rows(tracker_url, "SELECT data FROM events WHERE sender_id = :s "
                                               "AND type_name = 'user' ORDER BY id",
                                  s=sender_id_for(address, SECRET))
                assert [json.loads(r["data"])["message_id"] for r in user_turns] == sids
        finally:
            if bot.process.poll() is None:
                bot.stop_with_ctrl_c()
