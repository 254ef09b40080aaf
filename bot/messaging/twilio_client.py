"""The twilio REST client, asynchronous, pointed at TWILIO_API_BASE when set (a local stub in tests).

The real twilio library builds every request; only the host changes. A send ends one of three
ways: Twilio answered with the message (`Sent`); Twilio refused it, or it never left this machine
(`SendError`, which says whether trying again later could help); or it may have reached Twilio
but no answer came back (`SendOutcomeUnknown`: a timeout, a connection broken after the request
went out). Sending again after the third would send the message twice whenever Twilio had in fact
accepted it, so only Twilio's list of messages can decide it (`sent_since`).
"""
from __future__ import annotations

import asyncio
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

import aiohttp
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from bot.config import Settings

REQUEST_TIMEOUT_SECONDS = 15.0


@dataclass(frozen=True)
class Sent:
    sid: str
    status: str


@dataclass(frozen=True)
class SentRecord:
    sid: str
    body: str
    created: Optional[dt.datetime]


class SendError(Exception):
    """Twilio did not take the message. `code` is Twilio's error code, or the HTTP status."""

    def __init__(self, code: str, message: str, retryable: bool) -> None:
        super().__init__(message)
        self.code, self.message, self.retryable = code, message, retryable


class SendOutcomeUnknown(Exception):
    """The request may have reached Twilio, but no answer came back: the message may have gone."""


class _RebasedHttpClient(AsyncTwilioHttpClient):
    """AsyncTwilioHttpClient that sends to another host, with a timeout on every request."""

    def __init__(self, api_base: Optional[str], timeout: float) -> None:
        super().__init__(pool_connections=True)
        self.api_base, self.request_timeout = api_base, timeout

    async def request(self, method: str, url: str, **kwargs: Any):
        if self.api_base:
            url = re.sub(r"^https://[^/]+", self.api_base, url)
        kwargs["timeout"] = kwargs.get("timeout") or self.request_timeout
        return await super().request(method, url, **kwargs)


class TwilioApi:
    """Sends one message. Create it inside the running event loop (it owns an aiohttp session)."""

    def __init__(self, settings: Settings, timeout: float = REQUEST_TIMEOUT_SECONDS) -> None:
        self._http = _RebasedHttpClient(settings.twilio_api_base, timeout)
        self._client = Client(settings.twilio_account_sid, settings.twilio_auth_token, http_client=self._http)

    async def send(self, params: Dict[str, Any]) -> Sent:
        """`params` are Messages.create arguments (to, from_ or messaging_service_sid, body or content_sid…)."""
        try:
            message = await self._client.messages.create_async(**params)
        except TwilioRestException as error:
            retryable = error.status == 429 or error.status >= 500
            raise SendError(str(error.code or error.status), error.msg or str(error), retryable) from None
        except aiohttp.ClientConnectorError as error:  # no connection, so no request reached Twilio
            raise SendError("network", f"{type(error).__name__}: {error}", retryable=True) from None
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as error:
            raise SendOutcomeUnknown(f"{type(error).__name__}: {error}") from None
        return Sent(sid=message.sid, status=str(message.status))

    async def sent_since(self, to: str, since: dt.datetime) -> List[SentRecord]:
        """Messages Twilio has to `to` created at or after `since` (to settle a send in doubt)."""
        try:
            found = await self._client.messages.list_async(to=to, date_sent_after=since, limit=100)
        except TwilioRestException as error:
            raise SendError(str(error.code or error.status), error.msg or str(error),
                            error.status == 429 or error.status >= 500) from None
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as error:
            raise SendError("network", f"{type(error).__name__}: {error}", retryable=True) from None
        return [SentRecord(m.sid, m.body or "", m.date_created) for m in found
                if m.date_created is None or m.date_created >= since]

    async def close(self) -> None:
        await self._http.close()
