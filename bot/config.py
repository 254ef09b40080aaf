"""Every setting the application reads, from the environment, in one place.

Other modules call `get_settings()` and never read `os.environ` themselves, so a newcomer can see
every knob here and tests can build a `Settings` from a dict of their own.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Mapping, Optional

PROJECT_ROOT = Path(__file__).resolve().parent.parent


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
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once."""
    return load_settings()
