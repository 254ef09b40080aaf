"""The application's PostgreSQL engine replaces a pooled connection the server dropped (a restart,
a dropped link), so a parent's message afterwards does not fail on a dead connection."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from bot.db.session import engine_for
from tests.conftest import POSTGRES_ADMIN_URL

pytestmark = pytest.mark.postgres


def backend_pid(engine: sa.engine.Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()


def test_a_pooled_connection_the_server_dropped_is_replaced_before_use(postgres_url):
    engine = engine_for(postgres_url)
    dropped = backend_pid(engine)
    admin = sa.create_engine(POSTGRES_ADMIN_URL, poolclass=sa.pool.NullPool, future=True)
    with admin.connect() as connection:
        connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped})
    admin.dispose()

    assert backend_pid(engine) != dropped
    engine.dispose()
