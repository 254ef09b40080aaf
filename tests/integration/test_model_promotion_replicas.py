"""Promotion and rollback reach every Rasa replica of `python -m bot run --replicas 2` (what
`make run-cluster` starts), on two throwaway PostgreSQL databases and the machine's Redis.

The supervisor lists the replicas it started in RASA_REPLICA_URLS for its children (the dashboard
promotes with the environment read here from /proc). While parents keep texting both replicas,
a promotion switches both; a replica killed with SIGKILL afterwards is restarted by the
supervisor and serves the promoted model; a rollback switches both back. Every message sent
meanwhile is answered. A replica that started before the live file changed, and was not told,
loads the file once it answers (what the supervisor does for a replica restarted mid-promotion). The gate's figures are not under test here (they are measured for real in
test_model_promotion.py), so both models are registered with the same full figures.
"""
from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from typing import Dict, Iterator, List

import pytest
import requests

from bot.config import load_settings
from bot.training import services
from bot.training.data_version import DataVersion
from bot.training.rasa_models import Reload
from bot.training.registry import copy_atomically
from bot.training.replica_sync import ReplicaModelSync
from tests.conftest import throwaway_postgres_database
from tests.integration.running_bot import child_pid, start_bot
from tests.integration.test_model_promotion import with_new_model_id
from tests.unit.training.helpers import figures

pytestmark = pytest.mark.postgres

TOKEN = "replicas-token"
VERSION = DataVersion(git_commit=None, git_dirty=True, inputs_sha256="0" * 64)
RESTART_TIMEOUT_SECONDS = 240


def model_id_served(port: int) -> str:
    response = requests.get(f"http://127.0.0.1:{port}/status", params={"token": TOKEN}, timeout=10)
    response.raise_for_status()
    return response.json()["model_id"]


def child_environment(pid: int) -> Dict[str, str]:
    with open(f"/proc/{pid}/environ", "rb") as handle:
        pairs = [item.split(b"=", 1) for item in handle.read().split(b"\0") if b"=" in item]
    return {key.decode(): value.decode() for key, value in pairs}


class Parents:
    """Parents texting both replicas, alternately, until stopped; every reply is kept."""

    def __init__(self, ports: List[int]) -> None:
        self.ports = ports
        self.replies: List[list] = []
        self.errors: List[str] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._text, args=(n,)) for n in range(len(ports))]

    def _text(self, n: int) -> None:
        turn = 0
        while not self._stop.is_set():
            port = self.ports[(n + turn) % len(self.ports)]
            try:
                reply = requests.post(f"http://127.0.0.1:{port}/webhooks/rest/webhook", timeout=120,
                                      json={"sender": f"replica-parent-{n}", "message": "can baby sleep on their side"})
                reply.raise_for_status()
                self.replies.append(reply.json())
            except requests.RequestException as error:
                self.errors.append(f"port {port}: {error}")
            turn += 1

    def __enter__(self) -> "Parents":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=180)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, model_path) -> Iterator[dict]:
    root = tmp_path_factory.mktemp("replicas")
    live = root / "models" / "current.tar.gz"
    live.parent.mkdir()
    shutil.copyfile(model_path, live)
    with throwaway_postgres_database() as app_url, throwaway_postgres_database() as tracker_url:
        env = {"BOT_MODEL": str(live), "MODEL_REGISTRY_DIR": str(root / "registry"),
               "TRACKER_STORE_URL": tracker_url, "LOCK_STORE_URL": "redis://127.0.0.1:6379/0"}
        bot = start_bot(app_url, token=TOKEN, tmp_path=root, extra_env=env, args=("--replicas", "2"))
        try:
            yield {"bot": bot, "root": root, "ports": [bot.rasa_port, bot.rasa_port + 1]}
        finally:
            if bot.process.poll() is None:
                bot.stop_with_ctrl_c()


def wait_until_serving(port: int, model_id: str) -> None:
    deadline = time.monotonic() + RESTART_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        try:
            if model_id_served(port) == model_id:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise AssertionError(f"the replica on port {port} does not serve {model_id}")


def test_promotion_and_rollback_switch_every_replica_and_a_restarted_replica_serves_the_promoted_model(cluster):
    bot, root, ports = cluster["bot"], cluster["root"], cluster["ports"]
    dashboard_env = child_environment(child_pid(bot.process.pid, "-m bot dashboard"))
    assert dashboard_env["RASA_REPLICA_URLS"] == ",".join(f"http://127.0.0.1:{p}" for p in ports)
    settings = load_settings(dashboard_env)
    promoter = services.promoter(settings)
    original_id = model_id_served(ports[0])
    assert model_id_served(ports[1]) == original_id
    live = promoter.registry.add(settings.model_path, figures(), VERSION, "live model of this test")
    variant_id = with_new_model_id(settings.model_path, root / "variant.tar.gz")
    candidate = promoter.registry.add(root / "variant.tar.gz", figures(), VERSION, "the same weights, new id")

    with Parents(ports) as parents:
        outcome = promoter.promote(candidate.model_id)
        time.sleep(2)  # messages after the switch too
    assert outcome.reload is Reload.LOADED
    assert [model_id_served(p) for p in ports] == [variant_id, variant_id]
    assert not parents.errors, parents.errors
    assert len(parents.replies) >= 4 and all(r and r[0].get("text") for r in parents.replies), parents.replies

    os.kill(child_pid(bot.process.pid, f"--port {ports[1]}"), signal.SIGKILL)
    time.sleep(2)
    wait_until_serving(ports[1], variant_id)  # restarted by the supervisor, from the live file

    with Parents(ports) as parents:
        back = promoter.rollback()
        time.sleep(2)
    assert (back.model_id, back.reload) == (live.model_id, Reload.LOADED)
    assert [model_id_served(p) for p in ports] == [original_id, original_id]
    assert not parents.errors, parents.errors
    assert all(r and r[0].get("text") for r in parents.replies), parents.replies


def test_a_replica_that_started_before_the_live_file_changed_and_was_not_told_loads_it_once_it_answers(cluster):
    """What the supervisor does for a replica (re)started during a promotion: the promoter found
    nothing listening there, so the replica would keep the file it had read."""
    bot, root, ports = cluster["bot"], cluster["root"], cluster["ports"]
    settings = load_settings(child_environment(child_pid(bot.process.pid, "-m bot dashboard")))
    sync = ReplicaModelSync(settings.model_path, TOKEN)
    sync.started(f"http://127.0.0.1:{ports[1]}")
    before = model_id_served(ports[1])
    variant_id = with_new_model_id(settings.model_path, root / "late.tar.gz")
    copy_atomically(root / "late.tar.gz", settings.model_path)  # a promotion that missed this replica
    assert model_id_served(ports[1]) == before != variant_id
    sync.check()  # starts the load and returns; the replica serves the new model once loaded
    deadline = time.monotonic() + 120
    while model_id_served(ports[1]) != variant_id and time.monotonic() < deadline:
        time.sleep(0.5)
    assert model_id_served(ports[1]) == variant_id
