"""The channel-database benchmark runs the real path: every message it times is stored, handled and sent."""
from __future__ import annotations

import pytest

from benchmarks import channel_db
from tests.integration.twilio_client import rows


@pytest.mark.parametrize("database", ["sqlite_url", "postgres_url"])
def test_every_message_the_benchmark_times_is_processed_once_and_its_reply_sent(database, request):
    url = request.getfixturevalue(database)

    figures = channel_db.measure(url, messages=10)

    messages = channel_db.WARM_UP + 10
    assert rows(url, "SELECT status, count(*) AS n FROM inbound_messages GROUP BY status") == [
        {"status": "processed", "n": messages}]
    assert rows(url, "SELECT status, count(*) AS n FROM outbound_messages GROUP BY status") == [
        {"status": "sent", "n": messages}]
    assert set(figures) == {"webhook", "worker", "sender", "unlocks", "total"}
    assert figures["total"] > 0
