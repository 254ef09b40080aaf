"""Rasa's own CLI with twilio's HTTP client sent to TWILIO_API_BASE: the stock connector, unchanged,
talking to the same local Twilio stub as ours. Used by benchmarks/twilio.py and benchmarks/load.py.

Each message it sends to the stub carries two extra form fields: `BenchInboundSid`, the MessageSid
of the webhook being handled when it was sent (the stock connector sends its replies inside that
request), and `BenchArrivedAt`, when that webhook reached the server (`time.time()`). The stub
records them, so the load benchmark knows exactly which message a reply answers and in which
order a parent's messages arrived; this project's channel is matched through its inbox and outbox
instead. Nothing else changes.

Run: python -m benchmarks.twilio_peer run --model … --credentials …  (same arguments as `rasa`).
"""
from __future__ import annotations

import os
import re
import sys
import time
from contextvars import ContextVar
from typing import Any, Dict, Optional

from rasa.core.channels.twilio import TwilioInput
from twilio.http.http_client import TwilioHttpClient

INBOUND_SID_FIELD = "BenchInboundSid"
ARRIVED_AT_FIELD = "BenchArrivedAt"
_send = TwilioHttpClient.request
_handling: ContextVar[Dict[str, str]] = ContextVar("handling", default={})


def _to_stub(self, method: str, url: str, *args: Any, data: Optional[dict] = None, **kwargs: Any):
    if data is not None:
        data = {**data, **_handling.get()}
    return _send(self, method, re.sub(r"^https://[^/]+", os.environ["TWILIO_API_BASE"], url), *args,
                 data=data, **kwargs)


def _note_message_sid(self: TwilioInput, request: Any) -> None:
    """Called by the stock handler as each webhook arrives; returns None, as the stock method does."""
    _handling.set({INBOUND_SID_FIELD: request.form.get("MessageSid", ""), ARRIVED_AT_FIELD: repr(time.time())})
    return None


if __name__ == "__main__":
    TwilioHttpClient.request = _to_stub
    TwilioInput.get_metadata = _note_message_sid
    from rasa.__main__ import main

    sys.argv = ["rasa", *sys.argv[1:]]
    main()
