"""Statements whose SQL differs between SQLite and PostgreSQL."""
from __future__ import annotations

from typing import Any, Dict

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_unless_exists(session: Session, table: sa.Table, values: Dict[str, Any]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING; True if a row was inserted.

    A unique constraint, not a check-then-insert, decides: two concurrent requests for the same key
    cannot both insert, and neither fails.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    result = session.execute(insert(table).values(**values).on_conflict_do_nothing())
    return result.rowcount == 1

