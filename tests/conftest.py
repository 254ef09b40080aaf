"""Shared fixtures: throwaway databases and the trained model."""
from __future__ import annotations

import contextlib
import socket
import time
import uuid
from typing import Callable, Iterator

import pytest
import sqlalchemy as sa

from bot.config import get_settings

POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def eventually(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    """True as soon as `condition()` holds (polled every 50 ms), False if it still does not after
    `seconds`: for what another process or thread does a moment later."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def throwaway_postgres_database() -> Iterator[str]:
    """A PostgreSQL database that exists only inside the `with` block."""
    name = f"bot_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database created for one test and dropped after it."""
    with throwaway_postgres_database() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'app.db'}"


@pytest.fixture(scope="session")
def model_path():
    path = get_settings().model_path
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make train` (make test does this first)")
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path) -> Iterator[str]:
    """A migrated, empty application database: SQLite, then the machine's PostgreSQL."""
    from bot.db.migrate import upgrade

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'app.db'}"
        upgrade(url)
        yield url
    else:
        url = request.getfixturevalue("postgres_url")
        upgrade(url)
        yield url
