"""One engine per process and database URL, and sessions in the SQLAlchemy 2.0 style."""
from __future__ import annotations

import time
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

# A pooled connection idle for longer than this is pinged before use; see `_ping_if_idle`.
PING_AFTER_IDLE_SECONDS = 1.0


@lru_cache(maxsize=8)
def engine_for(url: str) -> sa.engine.Engine:
    # hide_parameters: a database error in a log must not carry a parent's words or number.
    options = {"future": True, "hide_parameters": True}
    if url.startswith("sqlite"):
        # The Rasa server and the action server share the SQLite file: wait for a lock, don't fail.
        options["connect_args"] = {"timeout": 30, "check_same_thread": False}
        # SQLAlchemy 1.4 opens a new SQLite connection for every session (NullPool): reading the
        # schema again each time costs milliseconds of CPU per query. Keep connections, as 2.0 does.
        options["poolclass"] = sa.pool.QueuePool
        # A connection to a local file does not go stale, so it is never pinged.
        engine = sa.create_engine(url, **options)
        sa.event.listen(engine, "connect", _write_ahead_log)
        return engine
    engine = sa.create_engine(url, **options)
    sa.event.listen(engine, "checkout", _ping_if_idle)
    sa.event.listen(engine, "checkin", _note_checkin)
    return engine


def _note_checkin(_connection, record) -> None:
    record.info["checked_in_at"] = time.monotonic()


def _ping_if_idle(connection, record, _proxy) -> None:
    """SQLAlchemy's `pool_pre_ping`, for connections that have been idle: a server restart or a
    dropped link shows up on a connection left in the pool, and the pool then replaces it
    (DisconnectionError) instead of handing a broken one to a parent's message. A connection
    checked in less than PING_AFTER_IDLE_SECONDS ago was just working, and a ping on every checkout
    was 6% of a Rasa server's Python CPU at 20 messages a second (py-spy, load benchmark). If the
    database goes down within that second, the first statement fails instead of the ping, and
    the caller's error path (a 503 to Twilio, a retry) is the same."""
    if time.monotonic() - record.info.get("checked_in_at", 0.0) < PING_AFTER_IDLE_SECONDS:
        return
    try:
        cursor = connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
    except Exception as error:
        raise sa.exc.DisconnectionError("the pooled connection did not answer a ping") from error


def _write_ahead_log(connection, _record) -> None:
    """WAL: readers never wait for the writer, and a commit costs one fsync instead of three, with
    the same durability (synchronous stays FULL). The mode is stored in the file, so Rasa's own
    tracker-store connections to it use it too."""
    connection.execute("PRAGMA journal_mode=WAL")


@lru_cache(maxsize=8)
def session_factory(url: str) -> sessionmaker:
    return sessionmaker(bind=engine_for(url), class_=Session, future=True, expire_on_commit=False)
