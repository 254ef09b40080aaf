"""`python -m bot run` (what `make run` starts) serves parents over REST, keeps every conversation in
the database DATABASE_URL names, protects the HTTP API with a token, and stops cleanly on Ctrl-C."""
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
from typing import Iterator, List

import pytest
import sqlalchemy as sa

from tests.conftest import free_port

READY_LINE = "Safer Sleep & Pregnancy Support is running."
LAST_BANNER_LINE = "Press Ctrl-C to stop."


class RunningBot:
    def __init__(self, process: subprocess.Popen, rasa_port: int, actions_port: int, output: List[str]):
        self.process, self.rasa_port, self.actions_port, self.output = process, rasa_port, actions_port, output

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


def start_bot(database_url: str, token: str | None, tmp_path) -> RunningBot:
    rasa_port, actions_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k != "RASA_TOKEN"}
    env.update(RASA_PORT=str(rasa_port), ACTIONS_PORT=str(actions_port), DATABASE_URL=database_url,
               BOT_VAR_DIR=str(tmp_path / "var"))
    if token:
        env["RASA_TOKEN"] = token
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"], env=env, stdout=subprocess.PIPE,
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
            return RunningBot(process, rasa_port, actions_port, output)
    process.kill()
    raise AssertionError("the bot did not start:\n" + "".join(output[-60:]))


@pytest.fixture
def bot_on_sqlite(tmp_path, sqlite_url, model_path) -> Iterator[RunningBot]:
    bot = start_bot(sqlite_url, token="test-token", tmp_path=tmp_path)
    yield bot
    if bot.process.poll() is None:
        bot.stop_with_ctrl_c()


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


def test_parent_gets_greeting_and_sourced_answer_and_conversation_is_stored_in_sqlite(
    bot_on_sqlite, sqlite_url
):
    greeting = " ".join(m["text"] for m in bot_on_sqlite.say("parent-1", "hiya"))
    assert "999" in greeting and "111" in greeting
    answer = " ".join(m["text"] for m in bot_on_sqlite.say("parent-1", "can the baby sleep on the settee with me"))
    assert "sofa" in answer.lower() and "Source:" in answer
    events = conversation_events(sqlite_url, "parent-1")
    assert events.count("user") == 2 and events.count("bot") >= 2


def test_http_api_needs_the_token(bot_on_sqlite):
    base = f"http://127.0.0.1:{bot_on_sqlite.rasa_port}"
    assert status_code(f"{base}/status") == 401
    assert status_code(f"{base}/status?token=test-token") == 200


def test_ctrl_c_stops_the_rasa_server_and_the_action_server(bot_on_sqlite):
    assert not port_is_closed(bot_on_sqlite.actions_port)
    assert bot_on_sqlite.stop_with_ctrl_c() == 0
    assert port_is_closed(bot_on_sqlite.rasa_port)
    assert port_is_closed(bot_on_sqlite.actions_port)


def test_a_random_token_is_generated_and_printed_when_rasa_token_is_unset(tmp_path, sqlite_url, model_path):
    bot = start_bot(sqlite_url, token=None, tmp_path=tmp_path)
    try:
        printed = [l for l in bot.output if "this run's API token is" in l]
        assert printed, "".join(bot.output)
        token = printed[0].rsplit(" ", 1)[1].strip()
        assert len(token) >= 24
        assert status_code(f"http://127.0.0.1:{bot.rasa_port}/status?token={token}") == 200
    finally:
        bot.stop_with_ctrl_c()


@pytest.mark.postgres
def test_conversations_are_stored_in_postgresql_when_database_url_names_it(
    tmp_path, postgres_url, model_path
):
    bot = start_bot(postgres_url, token="test-token", tmp_path=tmp_path)
    try:
        reply = bot.say("parent-pg", "wat temp shud the room be for baby")
        assert reply and "Source:" in reply[-1]["text"]
        assert conversation_events(postgres_url, "parent-pg").count("user") == 1
    finally:
        bot.stop_with_ctrl_c()
