import datetime as dt

import pytest

from bot.config import load_settings
from bot.handoffs.hours import in_office_hours

SETTINGS = load_settings({})
UTC = dt.timezone.utc


@pytest.mark.parametrize("moment, expected", [
    (dt.datetime(2026, 11, 25, 10, 0, tzinfo=UTC), True),    # Wednesday morning
    (dt.datetime(2026, 11, 25, 3, 0, tzinfo=UTC), False),    # 3 a.m.
    (dt.datetime(2026, 11, 28, 10, 0, tzinfo=UTC), False),   # Saturday
    (dt.datetime(2026, 7, 1, 16, 30, tzinfo=UTC), False),    # 17:30 BST in summer
    (dt.datetime(2026, 7, 1, 8, 30, tzinfo=UTC), True),      # 09:30 BST in summer
])
def test_office_hours_follow_the_uk_clock_and_working_week(moment, expected):
    assert in_office_hours(moment, SETTINGS) is expected
