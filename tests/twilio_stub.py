"""A local stand-in for Twilio's Messages API, for tests and benchmarks (set TWILIO_API_BASE to it).

It is a real HTTP server, so the bot's real twilio client builds, authenticates and sends every
request; the stub records each one and answers as Twilio does: 201 with the message's JSON, or an
error body with Twilio's code; GET lists the messages to a number (the sender asks after a
crash). Errors are injected per recipient (`fail_to`) or for the next requests (`fail_next`), and
slowness for the next requests (`delay_next`): taking a message late, as when a request is still
on its way, or answering late, after the message was taken, as when a client times out. It lives
in tests/ beside the other test helpers, which the benchmarks already import; nothing in bot/
depends on it.
"""
from __future__ import annotations

import base64
import datetime as dt
import email.utils
import json
import re
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Deque, Dict, List, Optional, Tuple
from urllib.parse import parse_qsl

MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Messages\.json$")


@dataclass(frozen=True)
class SentMessage:
    """One Messages.create request the stub accepted."""

    sid: str
    account_sid: str
    params: Dict[str, str]
    received_at: float  # time.perf_counter() when it arrived
    created: dt.datetime

    @property
    def to(self) -> str:
        return self.params.get("To", "")

    @property
    def body(self) -> str:
        return self.params.get("Body", "")


@dataclass(frozen=True)
class Failure:
    status: int
    code: Optional[int] = None
    message: str = "injected failure"


class _Server(ThreadingHTTPServer):
    """socketserver listens with a backlog of 5: a few concurrent sends overflow it, and the
    kernel then resets connections or delays them by seconds of SYN retries, which Twilio's API
    never does. Those resets and delays were the stub's, not the bot's."""

    request_queue_size = 128


@dataclass(frozen=True)
class Delay:
    """Seconds before the stub takes a message (`accept_after`) and then before it answers (`answer_after`)."""

    accept_after: float = 0.0
    answer_after: float = 0.0


class TwilioStub:
    def __init__(self, auth: Optional[Tuple[str, str]] = None) -> None:
        self.auth = auth
        self.sent: List[SentMessage] = []
        self.refused: List[Tuple[Dict[str, str], Failure]] = []
        self._next_failures: Deque[Failure] = deque()
        self._next_delays: Deque[Delay] = deque()
        # recipient -> [failure, how many more times (None: always)]
        self._failures_to: Dict[str, list] = {}
        self._lock = threading.Condition()
        self._listeners: List[Callable[[SentMessage], None]] = []
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> "TwilioStub":
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def subscribe(self, listener: Callable[[SentMessage], None]) -> None:
        """Call `listener` (from the server's thread) with every message accepted from now on."""
        with self._lock:
            self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[SentMessage], None]) -> None:
        with self._lock:
            self._listeners.remove(listener)

    def fail_next(self, failure: Failure, times: int = 1) -> None:
        with self._lock:
            self._next_failures.extend([failure] * times)

    def delay_next(self, delay: Delay, times: int = 1) -> None:
        """Be slow with the next `times` Messages.create requests (a refused one counts too)."""
        with self._lock:
            self._next_delays.extend([delay] * times)

    def fail_to(self, to: str, failure: Failure, times: Optional[int] = None) -> None:
        """Refuse the next `times` messages to `to` (None: all of them)."""
        with self._lock:
            self._failures_to[to] = [failure, times]

    def messages_to(self, to: str) -> List[SentMessage]:
        with self._lock:
            return [m for m in self.sent if m.to == to]

    def wait_for(self, condition: Callable[["TwilioStub"], bool], timeout: float = 30) -> bool:
        """Block until `condition(stub)` holds (checked on every request), or the timeout passes."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while not condition(self):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._lock.wait(remaining)
        return True

    def _answer(self, account_sid: str, params: Dict[str, str]) -> Tuple[int, dict]:
        with self._lock:
            delay = self._next_delays.popleft() if self._next_delays else Delay()
        time.sleep(delay.accept_after)
        status, body = self._take(account_sid, params)
        time.sleep(delay.answer_after)
        return status, body

    def _take(self, account_sid: str, params: Dict[str, str]) -> Tuple[int, dict]:
        """Accept or refuse one message, at once."""
        with self._lock:
            failure = (self._invalid(params) or
                       (self._next_failures.popleft() if self._next_failures
                        else self._failure_for(params.get("To", ""))))
            if failure:
                self.refused.append((params, failure))
                self._lock.notify_all()
                return failure.status, {"code": failure.code, "message": failure.message,
                                        "more_info": f"https://www.twilio.com/docs/errors/{failure.code}",
                                        "status": failure.status}
            sid = "SM" + uuid.uuid4().hex
            message = SentMessage(sid, account_sid, params, time.perf_counter(),
                                  dt.datetime.now(dt.timezone.utc))
            self.sent.append(message)
            self._lock.notify_all()
            for listener in self._listeners:
                listener(message)
        return 201, self._resource(message)

    @staticmethod
    def _resource(message: SentMessage) -> dict:
        params = message.params
        # A template's text is the approved wording around its variable; the variable stands in.
        body = params.get("Body") or json.loads(params.get("ContentVariables") or "{}").get("1", "")
        return {
            "sid": message.sid, "account_sid": message.account_sid, "to": params.get("To"),
            "from": params.get("From"), "messaging_service_sid": params.get("MessagingServiceSid"),
            "body": body, "status": "queued", "num_segments": "1", "num_media": "0",
            "direction": "outbound-api", "api_version": "2010-04-01", "error_code": None,
            "date_created": email.utils.format_datetime(message.created, usegmt=True),
            "uri": f"/2010-04-01/Accounts/{message.account_sid}/Messages/{message.sid}.json",
        }

    def _listing(self, query: Dict[str, str]) -> Tuple[int, dict]:
        """GET Messages.json filtered by To, newest first, as one page."""
        with self._lock:
            found = [m for m in self.sent if "To" not in query or m.to == query["To"]]
        return 200, {"messages": [self._resource(m) for m in reversed(found)], "page": 0,
                     "page_size": len(found), "start": 0, "end": max(len(found) - 1, 0),
                     "next_page_uri": None, "previous_page_uri": None, "first_page_uri": None,
                     "uri": "/2010-04-01/Accounts/Messages.json"}

    @staticmethod
    def _invalid(params: Dict[str, str]) -> Optional[Failure]:
        """Twilio's answer to a request that is not a message it could send."""
        if not params.get("To"):
            return Failure(400, 21604, "A 'To' phone number is required.")
        if not (params.get("Body") or params.get("ContentSid") or params.get("MediaUrl")):
            return Failure(400, 21602, "Message body is required.")
        return None

    def _failure_for(self, to: str) -> Optional[Failure]:
        planned = self._failures_to.get(to)
        if not planned or planned[1] == 0:
            return None
        if planned[1] is not None:
            planned[1] -= 1
        return planned[0]

    def _authorised(self, header: Optional[str]) -> bool:
        if self.auth is None:
            return True
        expected = "Basic " + base64.b64encode(":".join(self.auth).encode()).decode()
        return header == expected

    def _handler(self) -> type:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                path, _, query = self.path.partition("?")
                if not MESSAGES_PATH.match(path):
                    return self._reply(404, {"code": 20404, "message": "not found", "status": 404})
                if not stub._authorised(self.headers.get("Authorization")):
                    return self._reply(401, {"code": 20003, "message": "authenticate", "status": 401})
                self._reply(*stub._listing(dict(parse_qsl(query))))

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                match = MESSAGES_PATH.match(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if len(raw) < length:  # the client died mid-request: Twilio never got a message
                    self.close_connection = True
                    return
                params = dict(parse_qsl(raw.decode(), keep_blank_values=True))
                if not match:
                    return self._reply(404, {"code": 20404, "message": "not found", "status": 404})
                if not stub._authorised(self.headers.get("Authorization")):
                    return self._reply(401, {"code": 20003, "message": "authenticate", "status": 401})
                self._reply(*stub._answer(match.group(1), params))

            def _reply(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (or died); what it sent still counts

            def log_message(self, *args: object) -> None:
                pass

        return Handler
