"""The Twilio stub counts only what Twilio would have sent: the fault test's "no text sent twice"
check compares its list with the outbox, so a request Twilio would never accept must not be in it."""
from __future__ import annotations

import base64
import socket
import time
import urllib.error
import urllib.request
from urllib.parse import urlencode

from tests.twilio_stub import TwilioStub

PATH = "/2010-04-01/Accounts/AC1/Messages.json"


def post(stub: TwilioStub, form: dict) -> int:
    request = urllib.request.Request(stub.base_url + PATH, urlencode(form).encode(), {
        "Authorization": "Basic " + base64.b64encode(b"AC1:t").decode()})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_request_cut_off_mid_body_by_a_dying_client_is_not_a_message():
    with TwilioStub() as stub:
        body = urlencode({"To": "+447700900001", "From": "+447700900900", "Body": "hello"}).encode()
        with socket.create_connection(("127.0.0.1", int(stub.base_url.rsplit(":", 1)[1]))) as client:
            client.sendall(f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n"
                           "Content-Type: application/x-www-form-urlencoded\r\n\r\n".encode() + body[:10])
        # A whole one afterwards shows the stub has handled the first connection by then.
        assert post(stub, {"To": "+447700900002", "From": "+447700900900", "Body": "whole"}) == 201
        time.sleep(0.2)
        assert [m.to for m in stub.sent] == ["+447700900002"]


def test_a_message_without_a_number_or_a_body_is_refused_with_twilios_codes():
    with TwilioStub() as stub:
        assert post(stub, {"From": "+447700900900", "Body": "hello"}) == 400
        assert post(stub, {"To": "+447700900001", "From": "+447700900900"}) == 400
        assert stub.sent == []
        assert [failure.code for _, failure in stub.refused] == [21604, 21602]
