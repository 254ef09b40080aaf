"""The sender id Rasa sees for a phone number: a keyed hash, so trackers and logs hold no numbers.

HMAC-SHA256 with a secret key, not a plain hash: phone numbers are few enough to hash them all, so
an unkeyed hash would be as good as the number to anyone holding the trackers. The key comes from
SENDER_ID_SECRET, or is generated once and kept in var/sender_id_secret (mode 0600). Losing it
only means a parent's next message starts a new conversation: the mapping to the number is kept
in the `contacts` table, not derived again.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from bot.config import Settings
from bot.db.messaging import Channel

SECRET_FILE = "sender_id_secret"
WHATSAPP_PREFIX = "whatsapp:"
_PREFIXES = {Channel.SMS: "sms", Channel.WHATSAPP: "wa"}


def channel_of(address: str) -> Channel:
    return Channel.WHATSAPP if address.startswith(WHATSAPP_PREFIX) else Channel.SMS


def sender_id_for(address: str, secret: bytes) -> str:
    """`sms-…` or `wa-…` and 32 hex digits; the same address always gives the same id.

    SMS and WhatsApp from one number are separate conversations, because each is answered on its
    own channel.
    """
    digest = hmac.new(secret, address.encode("utf-8"), hashlib.sha256).hexdigest()[:32]
    return f"{_PREFIXES[channel_of(address)]}-{digest}"


def load_secret(settings: Settings) -> bytes:
    """SENDER_ID_SECRET, else the key under var/, created on first use by whichever process is first.

    The key is written to a private temporary file and hard-linked into place, which fails if the
    file exists: two processes starting together end up with the same key, never a half-written one.
    """
    if settings.sender_id_secret:
        return settings.sender_id_secret.encode("utf-8")
    path = Path(settings.var_dir) / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return path.read_text().strip().encode("utf-8")
