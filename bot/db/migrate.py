"""Bring a database up to the newest schema with Alembic (`make run` does this before serving)."""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser reads "%" as interpolation; URL-encoded passwords contain it.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str) -> None:
    # "heads": feature migrations may branch from the same parent; all of them apply.
    command.upgrade(alembic_config(database_url), "heads")


def create_postgres_database_if_missing(database_url: str) -> None:
    """Create the database a postgresql:// URL names if the server lacks it (nothing for SQLite,
    whose file is created on first use). Connects to the server's `postgres` database to do it."""
    url = sa.engine.make_url(database_url)
    if not url.drivername.startswith("postgresql") or not url.database:
        return
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT", future=True)
    try:
        with admin.connect() as connection:
            exists = connection.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                        {"name": url.database}).first()
            if not exists:
                connection.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
    finally:
        admin.dispose()
