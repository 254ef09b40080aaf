"""`python -m bot run` (what `make run` starts) serves parents over REST, keeps every conversation in
the database DATABASE_URL names, protects the HTTP API with a token, and stops cleanly on Ctrl-C."""
from __future__ import annotations

from typing import Iterator

import pytest

from tests.integration.running_bot import (
    RunningBot,
    conversation_events,
    port_is_closed,
    start_bot,
    status_code,
)


@pytest.fixture(scope="module")
def shared_sqlite_url(tmp_path_factory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('make-run') / 'app.db'}"


@pytest.fixture(scope="module")
def bot_on_sqlite(tmp_path_factory, shared_sqlite_url, model_path) -> Iterator[RunningBot]:
    """One bot for the tests that only talk to it: each start costs about 12 s of CPU."""
    bot = start_bot(shared_sqlite_url, token="test-token", tmp_path=tmp_path_factory.mktemp("make-run-var"))
    yield bot
    if bot.process.poll() is None:
        bot.stop_with_ctrl_c()


def test_parent_gets_greeting_and_sourced_answer_and_conversation_is_stored_in_sqlite(
    bot_on_sqlite, shared_sqlite_url
):
    greeting = " ".join(m["text"] for m in bot_on_sqlite.say("parent-1", "hiya"))
    assert "999" in greeting and "111" in greeting
    answer = " ".join(m["text"] for m in bot_on_sqlite.say("parent-1", "can the baby sleep on the settee with me"))
    assert "sofa" in answer.lower() and "Source:" in answer
    events = conversation_events(shared_sqlite_url, "parent-1")
    assert events.count("user") == 2 and events.count("bot") >= 2


def test_http_api_needs_the_token(bot_on_sqlite):
    base = f"http://127.0.0.1:{bot_on_sqlite.rasa_port}"
    assert status_code(f"{base}/status") == 401
    assert status_code(f"{base}/status?token=test-token") == 200


def test_ctrl_c_stops_the_rasa_server_and_the_action_server(tmp_path, sqlite_url, model_path):
    bot = start_bot(sqlite_url, token="test-token", tmp_path=tmp_path)
    try:
        assert not port_is_closed(bot.actions_port)
        assert bot.stop_with_ctrl_c() == 0
        assert port_is_closed(bot.rasa_port)
        assert port_is_closed(bot.actions_port)
    finally:
        if bot.process.poll() is None:
            bot.process.kill()


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


def test_without_a_twilio_auth_token_the_twilio_webhook_refuses_even_a_signed_message(
    bot_on_sqlite, shared_sqlite_url
):
    from tests.integration.twilio_client import Webhook, rows

    webhook = Webhook(bot_on_sqlite.rasa_port, token="any-token-at-all")
    assert webhook.text("+447700900001", "hello")[0] == 403
    assert webhook.post({"MessageSid": "SM1", "MessageStatus": "delivered"}, path="/webhooks/twilio/status")[0] == 403
    assert rows(shared_sqlite_url, "SELECT count(*) AS n FROM inbound_messages")[0]["n"] == 0
