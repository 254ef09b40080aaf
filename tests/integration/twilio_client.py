"""A parent texting the running bot the way Twilio would: signed form posts to the webhook."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Dict, Optional, Tuple
from urllib.parse import urlencode

import sqlalchemy as sa
from twilio.request_validator import RequestValidator

AUTH_TOKEN = "integration-test-auth-token"
ACCOUNT_SID = "AC" + "0" * 32
PUBLIC_URL = "https://bot.example.org"
OUR_SMS = "+447700900900"
OUR_WHATSAPP = "whatsapp:+447700900901"
TEMPLATE_SID = "HX" + "0" * 32
WEBHOOK = "/webhooks/twilio/webhook"
STATUS = "/webhooks/twilio/status"


def twilio_env(stub_base_url: str) -> Dict[str, str]:
    """The settings a live Twilio channel needs, with the stub as Twilio's API."""
    return dict(TWILIO_AUTH_TOKEN=AUTH_TOKEN, TWILIO_ACCOUNT_SID=ACCOUNT_SID, PUBLIC_URL=PUBLIC_URL,
                TWILIO_API_BASE=stub_base_url, TWILIO_SMS_FROM=OUR_SMS, TWILIO_WHATSAPP_FROM=OUR_WHATSAPP,
                SENDER_ID_SECRET="integration-test-secret", TWILIO_WHATSAPP_TEMPLATE_SID=TEMPLATE_SID)


def new_sid() -> str:
    return "SM" + uuid.uuid4().hex


@dataclass
class Webhook:
    port: int
    token: str = AUTH_TOKEN

    def post(self, form: Dict[str, str], path: str = WEBHOOK, signed_url: Optional[str] = None,
             signature: Optional[str] = None, raw: Optional[bytes] = None) -> Tuple[int, str]:
        """POST `form` (or `raw` bytes) signed for PUBLIC_URL + path, unless told otherwise."""
        if signature is None:
            signature = RequestValidator(self.token).compute_signature(signed_url or PUBLIC_URL + path, form)
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", raw if raw is not None else urlencode(form).encode(),
            {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def text(self, address: str, body: str, sid: Optional[str] = None, **extra: str) -> Tuple[int, str]:
        to = OUR_WHATSAPP if address.startswith("whatsapp:") else OUR_SMS
        form = {"MessageSid": sid or new_sid(), "AccountSid": ACCOUNT_SID, "From": address, "To": to,
                "Body": body, "NumMedia": "0", **extra}
        return self.post(form)


def rows(database_url: str, query: str, **params) -> list:
    engine = sa.create_engine(database_url, future=True)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.text(query), params)]
    finally:
        engine.dispose()


def execute(database_url: str, statement: str, **params) -> None:
    engine = sa.create_engine(database_url, future=True)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(statement), params)
    finally:
        engine.dispose()


def user_message_ids(database_url: str, sender_id: str) -> list:
    """The MessageSid of every user message in the parent's tracker, in order."""
    events = rows(database_url, "SELECT data FROM events WHERE sender_id = :s AND type_name = 'user' "
                                "ORDER BY id", s=sender_id)
    return [json.loads(e["data"]).get("message_id") for e in events]
