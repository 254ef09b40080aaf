"""Reading a Twilio webhook request: the raw form, the signature check and the message it carries.

The signature covers the URL Twilio was told to call and every form parameter, blank ones
included, so the form is parsed from the raw body here rather than taken from the web framework
(which drops blank values). The URL is PUBLIC_URL plus the path and query of the request: behind
a TLS proxy the server sees http://127.0.0.1:5005/…, which Twilio never signed.
"""
from __future__ import annotations

from typing import Dict, List, Optional
from urllib.parse import parse_qsl

from twilio.request_validator import RequestValidator

from bot.db.messaging import Channel
from bot.messaging.inbox import Arrival
from bot.messaging.pseudonym import channel_of, sender_id_for

# Twilio sends a few dozen parameters; more is not Twilio.
MAX_FIELDS = 200


class MalformedRequest(ValueError):
    """The request cannot be a Twilio message (the reason is safe to log and to answer with)."""


class FormParams(Dict[str, str]):
    """First value of each parameter, plus `getall` so the validator signs repeated ones too."""

    def __init__(self, pairs: List[tuple]) -> None:
        super().__init__()
        self._all: Dict[str, List[str]] = {}
        for key, value in pairs:
            self.setdefault(key, value)
            self._all.setdefault(key, []).append(value)

    def getall(self, key: str) -> List[str]:
        return self._all[key]


def parse_form(body: bytes) -> FormParams:
    """Every parameter of an application/x-www-form-urlencoded body, blank values kept."""
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, encoding="utf-8",
                          errors="strict", max_num_fields=MAX_FIELDS)
    except UnicodeDecodeError:
        raise MalformedRequest("the form is not valid UTF-8") from None
    except ValueError:
        raise MalformedRequest("the form has too many fields") from None
    return FormParams(pairs)


def signed_url(public_url: str, path: str, query_string: str) -> str:
    """The URL Twilio signed: where it was told to send the request, not where it arrived."""
    return public_url.rstrip("/") + path + (f"?{query_string}" if query_string else "")


def is_genuine(validator: RequestValidator, url: str, params: FormParams, signature: Optional[str]) -> bool:
    return bool(signature) and validator.validate(url, params, signature)


def arrival_from(params: FormParams, secret: bytes) -> Arrival:
    """The message in a genuine request; MalformedRequest if it has no sender or no MessageSid."""
    address = params.get("From", "").strip()
    message_sid = params.get("MessageSid", "").strip() or params.get("SmsMessageSid", "").strip()
    if not address:
        raise MalformedRequest("the request has no From")
    if not message_sid:
        raise MalformedRequest("the request has no MessageSid")
    channel = channel_of(address)
    our_address = params.get("To", "").strip() or None
    if our_address and channel == Channel.WHATSAPP and channel_of(our_address) != Channel.WHATSAPP:
        our_address = None
    return Arrival(
        message_sid=message_sid, address=address, our_address=our_address,
        sender_id=sender_id_for(address, secret), channel=channel,
        # PostgreSQL cannot store NUL in text; nothing a parent types contains one.
        body=params.get("Body", "").replace("\x00", ""),
        num_media=_count(params.get("NumMedia", "")),
        has_location=bool(params.get("Latitude", "").strip() and params.get("Longitude", "").strip()),
    )


def _count(raw: str) -> int:
    return int(raw) if raw.strip().isdigit() else 0
