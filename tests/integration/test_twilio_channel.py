"""SMS and WhatsApp through the running bot: signed webhooks in, the Twilio stub as Twilio out.

One bot (what `make run` starts) per database for the module, with a live Twilio channel whose API
host is the local stub; each test is a different parent (phone number). The last test kills the
Rasa server and so runs last.
"""
from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from typing import Iterator, List

import pytest

from bot.messaging import keywords
from bot.messaging.pseudonym import sender_id_for
from tests.conftest import throwaway_postgres_database
from tests.integration.running_bot import RunningBot, child_pid, start_bot
from tests.integration.twilio_client import (
    OUR_SMS,
    OUR_WHATSAPP,
    PUBLIC_URL,
    STATUS,
    WEBHOOK,
    Webhook,
    new_sid,
    rows,
    twilio_env,
    user_message_ids,
)
from tests.twilio_stub import Failure, TwilioStub

SECRET = twilio_env("")["SENDER_ID_SECRET"].encode()
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


class Setup:
    def __init__(self, bot: RunningBot, url: str, stub: TwilioStub) -> None:
        self.bot, self.url, self.stub = bot, url, stub
        self.webhook = Webhook(bot.rasa_port)

    def replies_to(self, address: str, count: int = 1, timeout: float = 60) -> List[str]:
        """Wait until `address` has at least `count` messages from the stub's point of view."""
        assert self.stub.wait_for(lambda s: len(s.messages_to(address)) >= count, timeout), (
            f"{address} got {len(self.stub.messages_to(address))} messages, expected {count}")
        return [m.body for m in self.stub.messages_to(address)]

    def inbound(self, address: str) -> list:
        return rows(self.url, "SELECT * FROM inbound_messages WHERE sender_id = :s ORDER BY id",
                    s=sender_id_for(address, SECRET))

    def outbound(self, address: str) -> list:
        return rows(self.url, "SELECT * FROM outbound_messages WHERE to_address = :a ORDER BY id", a=address)

    def settle(self, address: str, timeout: float = 60) -> None:
        """Wait until every message from `address` is processed and nothing to it is still queued."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (all(r["status"] != "pending" for r in self.inbound(address))
                    and all(r["status"] != "queued" for r in self.outbound(address))):
                return
            time.sleep(0.2)
        raise AssertionError(f"messages from or to {address} still pending")


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def setup(request, tmp_path_factory, model_path) -> Iterator[Setup]:
    tmp_path = tmp_path_factory.mktemp(f"twilio-{request.param}")
    with contextlib.ExitStack() as stack:
        stub = stack.enter_context(TwilioStub())
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'app.db'}"
        else:
            url = stack.enter_context(throwaway_postgres_database())
        bot = start_bot(url, token="test-token", tmp_path=tmp_path, extra_env=twilio_env(stub.base_url))
        yield Setup(bot, url, stub)
        if bot.process.poll() is None:
            bot.stop_with_ctrl_c()


def parent(n: int, whatsapp: bool = False) -> str:
    return ("whatsapp:" if whatsapp else "") + f"+4477009{n:05d}"


def test_a_signed_sms_is_acknowledged_with_empty_twiml_and_answered_from_the_number_it_was_sent_to(setup):
    address = parent(1)
    assert setup.webhook.text(address, "what temp shud the room be") == (200, EMPTY_TWIML)
    [reply] = setup.replies_to(address)
    assert "16" in reply
    [sent] = setup.stub.messages_to(address)
    assert sent.params["From"] == OUR_SMS
    assert sent.params["StatusCallback"] == PUBLIC_URL + STATUS
    assert sent.account_sid.startswith("AC")


def test_trackers_and_logs_hold_a_pseudonym_not_the_phone_number(setup):
    address = parent(2)
    setup.webhook.text(address, "hiya")
    setup.replies_to(address)
    sender_id = sender_id_for(address, SECRET)
    assert user_message_ids(setup.url, sender_id)
    assert rows(setup.url, "SELECT count(*) AS n FROM events WHERE sender_id LIKE :p", p="%7700900002%")[0]["n"] == 0
    assert "7700900002" not in "".join(setup.bot.output)


def test_a_forged_or_unsigned_message_gets_403_is_not_stored_and_its_text_is_not_logged(setup):
    address = parent(3)
    form = {"MessageSid": new_sid(), "From": address, "To": OUR_SMS, "Body": "forged secret words"}
    assert setup.webhook.post(form, signature="")[0] == 403
    assert setup.webhook.post(form, signature="bm90IGEgc2lnbmF0dXJl")[0] == 403
    assert setup.webhook.post(form, signed_url="http://127.0.0.1:%d%s" % (setup.bot.rasa_port, WEBHOOK))[0] == 403
    time.sleep(0.5)
    assert setup.inbound(address) == []
    assert "forged secret words" not in "".join(setup.bot.output)
    assert "bad or missing signature" in "".join(setup.bot.output)


def test_the_same_message_sid_delivered_many_times_at_once_is_answered_once(setup):
    address = parent(4)
    sid = new_sid()
    results: List[int] = []
    threads = [threading.Thread(target=lambda: results.append(setup.webhook.text(address, "hello", sid=sid)[0]))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200] * 8
    setup.settle(address)
    assert len(setup.inbound(address)) == 1
    assert len(setup.stub.messages_to(address)) == len(setup.outbound(address)) >= 1
    assert user_message_ids(setup.url, sender_id_for(address, SECRET)) == [sid]
