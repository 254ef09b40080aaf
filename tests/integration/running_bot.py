"""Start `python -m bot run` (what `make run` starts) and talk to it, for the integration tests."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from typing import List

import sqlalchemy as sa

from tests.conftest import free_port

READY_LINE = "Safer Sleep & Pregnancy Support is running."
LAST_BANNER_LINE = "Press Ctrl-C to stop."


class RunningBot:
    def __init__(self, process: subprocess.Popen, rasa_port: int, actions_port: int, output: List[str],
                 dashboard_port: int = 0):
        self.process, self.rasa_port, self.actions_port, self.output = process, rasa_port, actions_port, output
        self.dashboard_port = dashboard_port

    def say(self, sender: str, message: str) -> List[dict]:
        return post_json(f"http://127.0.0.1:{self.rasa_port}/webhooks/rest/webhook",
                         {"sender": sender, "message": message})

    def stop_with_ctrl_c(self) -> int:
        os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(timeout=60)


def post_json(url: str, body: dict) -> List[dict]:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def status_code(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def port_is_closed(port: int) -> bool:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
    except urllib.error.HTTPError:
        return False
    except (urllib.error.URLError, ConnectionError):
        return True
    return False


def start_bot(database_url: str, token: str | None, tmp_path, extra_env: dict | None = None,
              args: tuple = ()) -> RunningBot:
    rasa_port, actions_port, dashboard_port = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k != "RASA_TOKEN"}
    env.update(RASA_PORT=str(rasa_port), ACTIONS_PORT=str(actions_port), DATABASE_URL=database_url,
               BOT_VAR_DIR=str(tmp_path / "var"), DASHBOARD_PORT=str(dashboard_port), **(extra_env or {}))
    if token:
        env["RASA_TOKEN"] = token
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", *args], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    output: List[str] = []
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        output.append(line)
        if LAST_BANNER_LINE in line:
            assert any(READY_LINE in l for l in output)
            # Keep draining the pipe, or the servers block once its buffer fills.
            threading.Thread(target=lambda: output.extend(process.stdout), daemon=True).start()
            return RunningBot(process, rasa_port, actions_port, output, dashboard_port)
    process.kill()
    raise AssertionError("the bot did not start:\n" + "".join(output[-60:]))


def conversation_events(database_url: str, sender: str) -> List[str]:
    engine = sa.create_engine(database_url, future=True)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT type_name FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender}
            )
            return [r[0] for r in rows]
    finally:
        engine.dispose()


def child_pid(parent_pid: int, command_part: str) -> int:
    """The pid of the supervisor's child whose command line contains `command_part`."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline") as cmdline:
                command = cmdline.read().replace("\0", " ")
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if ppid == parent_pid and command_part in command:
            return int(entry)
    raise LookupError(f"no child of {parent_pid} runs {command_part!r}")


def handoffs_json(database_url: str) -> List[dict]:
    """What `python -m bot handoffs list --json` prints for this database."""
    output = subprocess.run(
        [sys.executable, "-m", "bot", "handoffs", "list", "--json"], check=True, capture_output=True,
        text=True, env={**os.environ, "DATABASE_URL": database_url},
    ).stdout
    return json.loads(output)
