"""Rasa's own CLI with twilio's HTTP client sent to TWILIO_API_BASE: the stock connector, unchanged,
talking to the same local Twilio stub as ours. Used only by benchmarks/twilio.py.

Run: python -m benchmarks.twilio_peer run --model … --credentials …  (same arguments as `rasa`).
"""
from __future__ import annotations

import os
import re
import sys

from twilio.http.http_client import TwilioHttpClient

_send = TwilioHttpClient.request


def _to_stub(self, method, url, *args, **kwargs):
    return _send(self, method, re.sub(r"^https://[^/]+", os.environ["TWILIO_API_BASE"], url), *args, **kwargs)


if __name__ == "__main__":
    TwilioHttpClient.request = _to_stub
    from rasa.__main__ import main

    sys.argv = ["rasa", *sys.argv[1:]]
    main()
