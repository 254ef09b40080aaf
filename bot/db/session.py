"""One engine per process and database URL, and sessions in the SQLAlchemy 2.0 style."""
from __future__ import annotations

from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker


@lru_cache(maxsize=8)
def engine_for(url: str) -> sa.engine.Engine:
    # hide_parameters: a database error in a log must not carry a parent's words or number.
    options = {"future": True, "pool_pre_ping": True, "hide_parameters": True}
    if url.startswith("sqlite"):
        # The Rasa server and the action server share the SQLite file: wait for a lock, don't fail.
        options["connect_args"] = {"timeout": 30, "check_same_thread": False}
        # SQLAlchemy 1.4 opens a new SQLite connection for every session (NullPool): reading the
        # schema again each time costs milliseconds of CPU per query. Keep connections, as 2.0 does.
        options["poolclass"] = sa.pool.QueuePool
        # A connection to a local file does not go stale; pinging it is a wasted query per session.
        options["pool_pre_ping"] = False
        engine = sa.create_engine(url, **options)
        sa.event.listen(engine, "connect", _write_ahead_log)
        return engine
    return sa.create_engine(url, **options)


def _write_ahead_log(connection, _record) -> None:
    """WAL: readers never wait for the writer, and a commit costs one fsync instead of three, with
    the same durability (synchronous stays FULL). The mode is stored in the file, so Rasa's own
    tracker-store connections to it use it too."""
    connection.execute("PRAGMA journal_mode=WAL")


@lru_cache(maxsize=8)
def session_factory(url: str) -> sessionmaker:
    return sessionmaker(bind=engine_for(url), class_=Session, future=True, expire_on_commit=False)
