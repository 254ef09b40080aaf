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
        options["connect_args"] = {"timeout": 30}
    return sa.create_engine(url, **options)


@lru_cache(maxsize=8)
def session_factory(url: str) -> sessionmaker:
    return sessionmaker(bind=engine_for(url), class_=Session, future=True, expire_on_commit=False)
