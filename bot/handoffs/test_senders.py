"""Trainers' test conversations: sender ids only the dashboard can make, which never become cases.

The id is `trainer-test-<nonce>-<tag>`, the tag an HMAC of the nonce under the sender-id secret
(bot/messaging/pseudonym.py). The prefix alone is not enough: a REST client chooses its own
sender id, and a parent must never be able to opt out of a handoff by choosing this one.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Callable

PREFIX = "trainer-test-"
_TAG_HEX = 24


def _tag(nonce: str, secret: bytes) -> str:
    return hmac.new(secret, f"{PREFIX}{nonce}".encode(), hashlib.sha256).hexdigest()[:_TAG_HEX]


def new_test_sender(secret: bytes) -> str:
    nonce = secrets.token_hex(8)
    return f"{PREFIX}{nonce}-{_tag(nonce, secret)}"


def is_test_sender(sender_id: str, secret: bytes) -> bool:
    """True only for an id made by `new_test_sender` with this secret."""
    if not sender_id.startswith(PREFIX):
        return False
    nonce, _, tag = sender_id[len(PREFIX):].rpartition("-")
    return bool(nonce) and hmac.compare_digest(tag, _tag(nonce, secret))


def is_test_conversation(sender_id: str, secret: Callable[[], bytes]) -> bool:
    """`is_test_sender`, reading the secret only for an id with the prefix: a parent's consent is
    never made to depend on reading the key file."""
    return sender_id.startswith(PREFIX) and is_test_sender(sender_id, secret())
