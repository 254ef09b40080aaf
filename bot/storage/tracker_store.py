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

Fewer CPU cycles per turn: Rasa's store reads and writes through the ORM (`session.query`,
`session.add` per event, a `Query.count()` over a subquery), which rebuilds and re-keys each
statement on every turn; with the Twilio pipeline that was about a quarter of the Rasa server's
CPU per message (py-spy, benchmarks/load.py). `retrieve`, `retrieve_full_tracker` and `save` here
run the same SQL as Rasa's (events of the latest session, ordered by id; only the events not yet
stored are inserted) as Core statements built once per store, with the same table and rows.

Off the event loop: Rasa's store talks to the database in the event loop, so while PostgreSQL
commits a turn's events (1 to 4 ms on this machine) no other parent's webhook, turn or reply can
run. Here the reads and writes run in a worker thread; the turn still waits for them, the others
do not. One conversation's turns cannot overlap (the lock store), so the thread changes no order.
"""
from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any, Callable, Dict, List, Optional

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

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
        self._statements = _EventStatements(self.SQLEvent.__table__)

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool
                        ) -> Optional[DialogueStateTracker]:
        """Rasa's `_retrieve`: the tracker from the latest session's events (or all), None if none."""
        query = self._statements.all_data if fetch_events_from_all_sessions else self._statements.session_data
        data = await asyncio.to_thread(self._event_data, query, sender_id)
        if not self.domain or not data:
            return None
        return DialogueStateTracker.from_dict(sender_id, [json.loads(d) for d in data], self.domain.slots)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's `save`: stream the events, then insert those past the latest session's stored count.

        A tracker without events has nothing to stream or insert: Rasa saves one for every new
        conversation (`create_tracker`) before the parent's first message is even parsed, and the
        round trip to a database thread for it delayed each first reply (one to six ms here)."""
        if not tracker.events:
            return
        await self.stream_events(tracker)
        await asyncio.to_thread(self._insert_new_events, tracker)

    def _event_data(self, query: sa.sql.Select, sender_id: str) -> List[str]:
        with self.session_scope() as session:
            return session.execute(query, {"sender_id": sender_id}).scalars().all()

    def _insert_new_events(self, tracker: DialogueStateTracker) -> None:
        with self.session_scope() as session:
            stored = session.execute(self._statements.session_count, {"sender_id": tracker.sender_id}).scalar_one()
            rows = [_event_row(tracker.sender_id, event) for event in itertools.islice(tracker.events, stored, None)]
            if rows:
                session.execute(self._statements.insert, rows)
            session.commit()


class _EventStatements:
    """The tracker store's statements, built once: a statement object reused across calls skips
    SQLAlchemy's per-call construction and cache-key work; the SQL is Rasa's `_event_query`."""

    def __init__(self, events: sa.Table) -> None:
        sender = events.c.sender_id == sa.bindparam("sender_id")
        session_start = (sa.select(sa.func.max(events.c.timestamp))
                         .where(sender, events.c.type_name == SessionStarted.type_name).scalar_subquery())
        latest_session = sa.or_(events.c.timestamp >= session_start, session_start.is_(None))
        self.all_data = sa.select(events.c.data).where(sender).order_by(events.c.id)
        self.session_data = sa.select(events.c.data).where(sender, latest_session).order_by(events.c.id)
        self.session_count = sa.select(sa.func.count()).select_from(events).where(sender, latest_session)
        self.insert = events.insert()


def _event_row(sender_id: str, event: Event) -> Dict[str, Any]:
    """The row Rasa's `save` writes for `event`."""
    data = event.as_dict()
    return dict(sender_id=sender_id, type_name=event.type_name, timestamp=data.get("timestamp"),
                intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                action_name=data.get("name"), data=json.dumps(data))


def _fail_closed_instead_of(stock_hook: Callable[[FailSafeTrackerStore, Exception], None], doing: str):
    """A FailSafeTrackerStore error hook that raises for this project's store (after an alert
    saying what it was `doing`) and keeps Rasa's behaviour for any other store.

    The alert names the operation, so whoever is paged knows whether reads or writes failed."""
    def hook(wrapper: FailSafeTrackerStore, error: Exception) -> None:
        if not isinstance(wrapper._tracker_store, ConfiguredSQLTrackerStore):
            stock_hook(wrapper, error)
            return
        alert(DATABASE_UNAVAILABLE, "tracker store unreachable while %s (%s); not falling back to memory",
              doing, type(error).__name__)
        raise TrackerStoreUnavailable("the tracker store did not answer") from error
    return hook


# Both hooks: `save`/`keys` call the first, `retrieve`/`retrieve_full_tracker` the second; with
# either returning normally the wrapper would carry on without the database.
FailSafeTrackerStore.on_tracker_store_error = _fail_closed_instead_of(
    FailSafeTrackerStore.on_tracker_store_error, "saving")
FailSafeTrackerStore.on_tracker_store_retrieve_error = _fail_closed_instead_of(
    FailSafeTrackerStore.on_tracker_store_retrieve_error, "reading")
