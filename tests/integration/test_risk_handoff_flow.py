"""A parent's risk, consent, pause, withdrawal and resume, through the running bot and a real database."""
from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from typing import Iterator

import pytest

from tests.conftest import throwaway_postgres_database
from tests.integration.running_bot import (
    RunningBot,
    child_pid,
    conversation_events,
    handoffs_json,
    start_bot,
)

UNSAFE_SLEEP = "had 4 cans tonight n baby is in bed with me"


def texts(replies) -> str:
    return "\n".join(m.get("text", "") for m in replies)


@pytest.fixture(scope="module",
                params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def bot_and_db(request, tmp_path_factory, model_path) -> Iterator[tuple]:
    """One running bot per database for this module; each test is a different parent."""
    tmp_path = tmp_path_factory.mktemp(request.param)
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'app.db'}"
        else:
            url = stack.enter_context(throwaway_postgres_database())
        bot = start_bot(url, token="test-token", tmp_path=tmp_path)
        yield bot, url
        if bot.process.poll() is None:
            bot.stop_with_ctrl_c()


def cases_of(url: str, sender: str) -> list:
    return [c for c in handoffs_json(url) if c["sender_id"] == sender]


def test_consent_creates_a_case_pauses_the_bot_and_closing_resumes_it(bot_and_db):
    bot, url = bot_and_db
    offer = texts(bot.say("p1", UNSAFE_SLEEP))
    assert "do not share a bed or sofa" in offer.lower()
    assert offer.index("Lullaby Trust") < offer.index("Reply YES or NO")

    confirmed = texts(bot.say("p1", "yes"))
    assert "health visitor will see this chat" in confirmed
    [case] = cases_of(url, "p1")
    assert (case["sender_id"], case["category"], case["level"], case["status"], case["channel"]) == (
        "p1", "unsafe_sleep", "high", "open", "rest")

    paused = texts(bot.say("p1", "what temp shud the room be"))
    assert "added this to your case" in paused and "16" not in paused

    subprocess.run([sys.executable, "-m", "bot", "handoffs", "close", str(case["id"]),
                    "--outcome", "advice_given"], check=True, env={**os.environ, "DATABASE_URL": url})
    assert "answer your questions again" in texts(bot.say("p1", "hello?"))
    assert "16" in texts(bot.say("p1", "what temp shud the room be"))


def test_no_is_respected_and_recorded_without_a_case(bot_and_db):
    bot, url = bot_and_db
    bot.say("p2", "my partner hits me")
    declined = texts(bot.say("p2", "no"))
    assert "116 123" in declined
    assert cases_of(url, "p2") == []


def test_stop_sharing_withdraws_an_open_case(bot_and_db):
    bot, url = bot_and_db
    bot.say("p3", UNSAFE_SLEEP)
    bot.say("p3", "yes")
    withdrawn = texts(bot.say("p3", "stop sharing"))
    assert "stopped sharing" in withdrawn.lower()
    assert [c["status"] for c in cases_of(url, "p3")] == ["withdrawn"]


def test_an_emergency_gets_999_first_even_while_a_case_is_open(bot_and_db):
    bot, url = bot_and_db
    first = bot.say("p4", "help hes not breathing")
    assert first[0]["text"].startswith("Call 999 now")
    bot.say("p4", "yes")
    during_case = bot.say("p4", "shes gone blue")
    assert during_case[0]["text"].startswith("Call 999 now")


def test_model_parse_returns_the_risk_next_to_the_intent(bot_and_db):
    bot, _ = bot_and_db
    request = urllib.request.Request(
        f"http://127.0.0.1:{bot.rasa_port}/model/parse?token=test-token",
        json.dumps({"text": "hes not breathin"}).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        parsed = json.load(response)
    assert parsed["risk"]["category"] == "emergency" and parsed["risk"]["level"] == "emergency"
    assert parsed["risk"]["matched"]
    assert parsed["intent"]["name"] == "risk_emergency"


def test_a_parent_typing_slash_restart_does_not_restart_the_conversation(bot_and_db):
    bot, url = bot_and_db
    bot.say("p5", "hiya")
    bot.say("p5", "/restart")
    events = conversation_events(url, "p5")
    assert "restarted" not in events
    bot.say("p5", "/affirm")
    assert cases_of(url, "p5") == []


def test_a_consented_case_survives_the_action_server_being_killed_right_after_yes(bot_and_db):
    bot, url = bot_and_db
    bot.say("p6", UNSAFE_SLEEP)
    killed = child_pid(bot.process.pid, "run actions")
    try:
        bot.say("p6", "yes")
    finally:
        os.kill(killed, signal.SIGKILL)
    assert len(cases_of(url, "p6")) == 1
    wait_for_restarted_action_server(bot, killed)
    assert len(cases_of(url, "p6")) == 1
    assert "added this to your case" in texts(bot.say("p6", "are you there"))


def wait_for_restarted_action_server(bot: RunningBot, killed_pid: int, timeout: float = 120) -> None:
    """The supervisor starts a new action server; wait until it answers its health check."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if child_pid(bot.process.pid, "run actions") != killed_pid:
                with urllib.request.urlopen(f"http://127.0.0.1:{bot.actions_port}/health", timeout=2):
                    return
        except (LookupError, OSError):
            pass
        time.sleep(0.5)
    raise AssertionError("the action server was not restarted")
