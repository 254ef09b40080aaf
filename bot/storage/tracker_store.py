"""Rasa's SQL tracker store, pointed at the database URL from `bot.config`, failing closed.

Rasa's endpoint file describes an SQL store by dialect, host, port and database name, which cannot
express an embedded SQLite path under `var/` and a full PostgreSQL URL (with query options) with the
same settings. Rasa accepts a complete URL in `host`, so this subclass passes ours through.

Fail closed: Rasa's Agent always wraps the tracker store in `FailSafeTrackerStore`, which, when
the database does not answer, logs an error, hands the bot an empty conversation and keeps the
new events in memory. For this service that would mean answering a parent as a stranger (no
open case, no consent on record) and losing what they said when the process stops. So for this
store the wrapper's error hooks raise `TrackerStoreUnavailable` (after an ALERT line) instead:
the message is not handled, the inbox keeps it pending and the worker tries again, and the REST
channel answers 500.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore
from rasa.shared.core.domain import Domain

from bot.alerts import DATABASE_UNAVAILABLE, alert
from bot.config import get_settings


class TrackerStoreUnavailable(RuntimeError):
    """The conversation store did not answer; the message must wait, not be handled without it."""


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


def _fail_closed_instead_of(stock_hook: Callable[[FailSafeTrackerStore, Exception], None]):
    """A FailSafeTrackerStore error hook that raises for this project's store (after an alert)
    and keeps Rasa's behaviour for any other store."""
    def hook(wrapper: FailSafeTrackerStore, error: Exception) -> None:
        if not isinstance(wrapper._tracker_store, ConfiguredSQLTrackerStore):
            stock_hook(wrapper, error)
            return
        alert(DATABASE_UNAVAILABLE, "tracker store unreachable (%s); not falling back to memory",
              type(error).__name__)
        raise TrackerStoreUnavailable("the tracker store did not answer") from error
    return hook


# Both hooks: `save`/`keys` call the first, `retrieve`/`retrieve_full_tracker` the second; with
# either returning normally the wrapper would carry on without the database.
FailSafeTrackerStore.on_tracker_store_error = _fail_closed_instead_of(FailSafeTrackerStore.on_tracker_store_error)
FailSafeTrackerStore.on_tracker_store_retrieve_error = _fail_closed_instead_of(
    FailSafeTrackerStore.on_tracker_store_retrieve_error)
