"""Fixtures for the dashboard tests: a migrated database (SQLite, then PostgreSQL), the app on it,
and accounts for each role."""
from __future__ import annotations

import pytest

from bot.dashboard.accounts import Accounts
from bot.dashboard.app import create_app
from bot.db.session import session_factory
from tests.dashboard.helpers import add_staff, settings_for


@pytest.fixture
def settings(database_url, tmp_path):
    return settings_for(database_url, tmp_path)


@pytest.fixture
def sessions(settings):
    return session_factory(settings.database_url)


@pytest.fixture
def app(settings):
    return create_app(settings)


@pytest.fixture
def accounts(sessions):
    return Accounts(sessions)


@pytest.fixture
def staff(accounts):
    """One person per role in the default team, and a health visitor in another team."""
    return {
        "health_visitor": add_staff(accounts, "hv@example.nhs.uk", "health_visitor"),
        "trainer": add_staff(accounts, "trainer@example.nhs.uk", "trainer"),
        "admin": add_staff(accounts, "admin@example.nhs.uk", "admin"),
        "other_team_hv": add_staff(accounts, "north@example.nhs.uk", "health_visitor", team="north"),
    }
