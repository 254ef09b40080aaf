"""Every setting the application reads, from the environment, in one place.

Other modules call `get_settings()` and never read `os.environ` themselves, so a newcomer can see
every knob here and tests can build a `Settings` from a dict of their own.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Mapping, Optional, Tuple

PROJECT_ROOT = Path(__file__).resolve().parent.parent


# The shortest audit retention allowed; the database refuses to delete younger audit rows anyway
# (bot/db/migrations/versions/0005_data_governance.py).
AUDIT_FLOOR_DAYS = 365


@dataclass(frozen=True)
class RetentionPeriods:
    """Retention periods in days, one per kind of record (RETENTION_*_DAYS)."""

    # Rasa's conversation events, counted from the conversation's last event.
    conversation_days: int = 90
    # Inbox and outbox rows (message text), counted from when they were received or queued.
    message_days: int = 30
    # The pseudonym-to-number mapping, counted from the parent's last message.
    contact_days: int = 365
    # Closed or withdrawn cases with their consent, notes and replies; declined offers.
    case_days: int = 8 * 365 + 2
    # Audit rows; at least AUDIT_FLOOR_DAYS.
    audit_days: int = 8 * 365 + 2
    # An erasure request keeps a case closed or withdrawn this recently (safeguarding follow-up).
    erasure_hold_days: int = 180


@dataclass(frozen=True)
class Settings:
    """Typed settings; defaults give a zero-setup install on embedded SQLite under `var/`."""

    project_root: Path
    var_dir: Path
    model_path: Path
    database_url: str
    tracker_store_url: str
    rasa_port: int
    actions_port: int
    rasa_token: Optional[str]
    # When a health visitor reads messages; outside these hours the consent question says so.
    office_timezone: str
    office_opens_hour: int
    office_closes_hour: int
    # The staff dashboard (bot/dashboard): where it listens, the address staff reach it at (links in
    # on-call alerts; https there makes session cookies Secure), and the proxy allowed to tell it the
    # client's address and scheme.
    dashboard_port: int = 8000
    dashboard_url: str = "http://localhost:8000"
    dashboard_trusted_proxy: Optional[str] = None
    session_idle_minutes: int = 30
    # How long a consented case may wait before it is overdue, per risk level.
    target_minutes_emergency: int = 15
    target_minutes_high: int = 240
    # Who is told by SMS when an emergency or high case arrives (E.164), if anyone.
    on_call_number: Optional[str] = None
    # "test" allows what only tests may do (staff accounts without two-factor sign-in).
    bot_env: str = "development"
    # Twilio (bot/channels/twilio.py). The channel is live only when the auth token is set.
    twilio_auth_token: Optional[str] = None
    twilio_account_sid: Optional[str] = None
    twilio_sms_from: Optional[str] = None
    twilio_whatsapp_from: Optional[str] = None
    twilio_messaging_service_sid: Optional[str] = None
    # Approved WhatsApp template (ContentSid, one variable {{1}}) for messages outside the 24 h window.
    twilio_whatsapp_template_sid: Optional[str] = None
    # Where the twilio client sends API requests; None is Twilio itself (tests use a local stub).
    twilio_api_base: Optional[str] = None
    # The https address Twilio calls; signatures are checked against it, never the address we see.
    public_url: Optional[str] = None
    # Key for the parents' pseudonymous sender ids; None: generated once under var/.
    sender_id_secret: Optional[str] = None
    # The model registry (bot/training/registry.py): every trained model, its figures and data version.
    model_registry_dir: Optional[Path] = None
    # Where trainers' labels are written (bot/training/labelling.py): the NLU training files.
    nlu_data_dir: Optional[Path] = None
    # Redis for the Rasa lock store (bot/storage/lock_store.py); None: locks in this process only,
    # which is right for one Rasa server and wrong for several.
    lock_store_url: Optional[str] = None
    # Every Rasa replica a promotion or rollback tells to load the live model (bot/training/
    # rasa_models.py); empty: the one on RASA_PORT. `run --replicas N` sets it for its children.
    rasa_replica_urls: Tuple[str, ...] = ()
    # Data governance (bot/governance): how long each kind of record is kept, in days; see
    # docs/data-protection.md for why. Open cases are never deleted by retention.
    retention: RetentionPeriods = field(default_factory=RetentionPeriods)


def _port(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ValueError(f"{name} must be a TCP port number, got {raw!r}")
    return int(raw)


def _hour(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 0 <= int(raw) <= 24:
        raise ValueError(f"{name} must be an hour from 0 to 24, got {raw!r}")
    return int(raw)


def _minutes(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{name} must be a whole number of minutes (1 or more), got {raw!r}")
    return int(raw)


def _days(environ: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < minimum:
        raise ValueError(f"{name} must be a whole number of days ({minimum} or more), got {raw!r}")
    return int(raw)


def _retention(environ: Mapping[str, str]) -> RetentionPeriods:
    defaults = RetentionPeriods()
    return RetentionPeriods(
        conversation_days=_days(environ, "RETENTION_CONVERSATION_DAYS", defaults.conversation_days),
        message_days=_days(environ, "RETENTION_MESSAGE_DAYS", defaults.message_days),
        contact_days=_days(environ, "RETENTION_CONTACT_DAYS", defaults.contact_days),
        case_days=_days(environ, "RETENTION_CASE_DAYS", defaults.case_days),
        audit_days=_days(environ, "RETENTION_AUDIT_DAYS", defaults.audit_days, minimum=AUDIT_FLOOR_DAYS),
        erasure_hold_days=_days(environ, "ERASURE_HOLD_DAYS", defaults.erasure_hold_days, minimum=0),
    )


def _url(environ: Mapping[str, str], name: str, default: str) -> str:
    raw = environ.get(name, "").strip().rstrip("/")
    if not raw:
        return default
    if not re.match(r"^https?://[^/\s]+", raw):
        raise ValueError(f"{name} must be an http:// or https:// address, got {raw!r}")
    return raw


def _redis_url(environ: Mapping[str, str], name: str) -> Optional[str]:
    raw = environ.get(name, "").strip()
    if not raw:
        return None
    if not re.match(r"^rediss?://[^/\s]+", raw):
        raise ValueError(f"{name} must be a redis:// or rediss:// address, got {raw!r}")
    return raw


def _url_list(environ: Mapping[str, str], name: str, default: str) -> Tuple[str, ...]:
    """Comma-separated http(s) base URLs, e.g. `http://10.0.0.5:5005,http://10.0.0.6:5005`."""
    raw = environ.get(name, "").strip()
    if not raw:
        return (default,)
    return tuple(_url({name: part}, name, default) for part in raw.split(",") if part.strip())


def _phone_number(environ: Mapping[str, str], name: str) -> Optional[str]:
    raw = environ.get(name, "").strip().replace(" ", "")
    if not raw:
        return None
    if not re.match(r"^\+[1-9][0-9]{7,14}$", raw):
        raise ValueError(f"{name} must be a phone number in international form (+447700900123)")
    return raw


def _twilio_address(environ: Mapping[str, str], name: str, prefix: str = "") -> Optional[str]:
    """A sending number in E.164, or None; `prefix` ("whatsapp:") is added when missing."""
    raw = environ.get(name, "").strip().replace(" ", "")
    if not raw:
        return None
    number = raw[len(prefix):] if prefix and raw.startswith(prefix) else raw
    if not re.match(r"^\+[1-9][0-9]{6,14}$", number):
        raise ValueError(f"{name} must be a phone number in international form (+447700900123), got {raw!r}")
    return prefix + number


def _base_url(environ: Mapping[str, str], name: str) -> Optional[str]:
    raw = environ.get(name, "").strip().rstrip("/")
    if not raw:
        return None
    if not re.match(r"^https?://[^/\s?#]+(/[^\s?#]*)?$", raw):
        raise ValueError(f"{name} must be an http:// or https:// address without a query, got {raw!r}")
    return raw


def _twilio_settings(environ: Mapping[str, str]) -> dict:
    """The Twilio settings; a live channel (auth token set) needs its account and public address."""
    values = dict(
        twilio_auth_token=environ.get("TWILIO_AUTH_TOKEN", "").strip() or None,
        twilio_account_sid=environ.get("TWILIO_ACCOUNT_SID", "").strip() or None,
        twilio_sms_from=_twilio_address(environ, "TWILIO_SMS_FROM"),
        twilio_whatsapp_from=_twilio_address(environ, "TWILIO_WHATSAPP_FROM", "whatsapp:"),
        twilio_messaging_service_sid=environ.get("TWILIO_MESSAGING_SERVICE_SID", "").strip() or None,
        twilio_whatsapp_template_sid=environ.get("TWILIO_WHATSAPP_TEMPLATE_SID", "").strip() or None,
        twilio_api_base=_base_url(environ, "TWILIO_API_BASE"),
        public_url=_base_url(environ, "PUBLIC_URL"),
        sender_id_secret=environ.get("SENDER_ID_SECRET") or None,
    )
    if values["twilio_auth_token"]:
        if not (values["twilio_account_sid"] or "").startswith("AC"):
            raise ValueError("TWILIO_ACCOUNT_SID (AC…) must be set when TWILIO_AUTH_TOKEN is set")
        if not values["public_url"]:
            raise ValueError("PUBLIC_URL (the address Twilio calls, e.g. https://bot.example.org) "
                             "must be set when TWILIO_AUTH_TOKEN is set")
    return values


def load_settings(environ: Mapping[str, str] = os.environ) -> Settings:
    """Build settings from an environment mapping (the process environment by default)."""
    root = Path(environ.get("BOT_PROJECT_ROOT", PROJECT_ROOT)).resolve()
    var_dir = Path(environ.get("BOT_VAR_DIR", root / "var")).resolve()
    database_url = environ.get("DATABASE_URL") or f"sqlite:///{var_dir / 'app.db'}"
    return Settings(
        project_root=root,
        var_dir=var_dir,
        model_path=Path(environ.get("BOT_MODEL", root / "models" / "current.tar.gz")),
        database_url=database_url,
        # Conversations live beside the application data unless an operator splits them.
        tracker_store_url=environ.get("TRACKER_STORE_URL") or database_url,
        rasa_port=_port(environ, "RASA_PORT", 5005),
        actions_port=_port(environ, "ACTIONS_PORT", 5055),
        rasa_token=environ.get("RASA_TOKEN") or None,
        office_timezone=environ.get("OFFICE_TIMEZONE", "Europe/London"),
        office_opens_hour=_hour(environ, "OFFICE_OPENS_HOUR", 9),
        office_closes_hour=_hour(environ, "OFFICE_CLOSES_HOUR", 17),
        dashboard_port=_port(environ, "DASHBOARD_PORT", 8000),
        dashboard_url=_url(environ, "DASHBOARD_URL",
                           f"http://localhost:{_port(environ, 'DASHBOARD_PORT', 8000)}"),
        dashboard_trusted_proxy=environ.get("DASHBOARD_TRUSTED_PROXY") or None,
        session_idle_minutes=_minutes(environ, "DASHBOARD_SESSION_IDLE_MINUTES", 30),
        target_minutes_emergency=_minutes(environ, "TARGET_MINUTES_EMERGENCY", 15),
        target_minutes_high=_minutes(environ, "TARGET_MINUTES_HIGH", 240),
        on_call_number=_phone_number(environ, "ON_CALL_NUMBER"),
        bot_env=environ.get("BOT_ENV", "development").strip() or "development",
        model_registry_dir=Path(environ.get("MODEL_REGISTRY_DIR") or root / "models" / "registry").resolve(),
        nlu_data_dir=Path(environ.get("NLU_DATA_DIR") or root / "data" / "nlu").resolve(),
        lock_store_url=_redis_url(environ, "LOCK_STORE_URL"),
        rasa_replica_urls=_url_list(environ, "RASA_REPLICA_URLS",
                                    f"http://127.0.0.1:{_port(environ, 'RASA_PORT', 5005)}"),
        retention=_retention(environ),
        **_twilio_settings(environ),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once."""
    return load_settings()
