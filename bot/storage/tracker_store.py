"""Rasa's SQL tracker store, pointed at the database URL from `bot.config`.

Rasa's endpoint file describes an SQL store by dialect, host, port and database name, which cannot
express an embedded SQLite path under `var/` and a full PostgreSQL URL (with query options) with the
same settings. Rasa accepts a complete URL in `host`, so this subclass passes ours through.
"""
from __future__ import annotations

from typing import Any, Optional

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain

from bot.config import get_settings


class ConfiguredSQLTrackerStore(SQLTrackerStore):
    """An `SQLTrackerStore` on `TRACKER_STORE_URL`, defaulting to `DATABASE_URL`."""

    def __init__(
        self,
        domain: Optional[Domain] = None,
        event_broker: Optional[EventBroker] = None,
        **kwargs: Any,
    ) -> None:
        settings = get_settings()
        kwargs.pop("host", None)
        url = sa.engine.make_url(settings.tracker_store_url)
        if url.drivername.startswith("sqlite") and url.database:
            settings.var_dir.mkdir(parents=True, exist_ok=True)
        super().__init__(
            domain=domain,
            host=settings.tracker_store_url,
            event_broker=event_broker,
            **kwargs,
        )
