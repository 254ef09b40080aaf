"""Statements whose SQL differs between SQLite and PostgreSQL."""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_unless_exists(session: Session, table: sa.Table, values: Dict[str, Any]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING; True if a row was inserted.

    A unique constraint, not a check-then-insert, decides: two concurrent requests for the same key
    cannot both insert, and neither fails.
    """
    statement = _insert_or_nothing(session.get_bind().dialect.name, table)
    return session.execute(statement, values).rowcount == 1


@lru_cache(maxsize=None)
def _insert_or_nothing(dialect: str, table: sa.Table) -> sa.sql.Insert:
    """Built once per table (the webhook runs one or two for every message); the columns come
    with the values at execution."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_nothing()
