"""Whether a health visitor is reading messages now, so the consent question can say when they will."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.config import Settings


def in_office_hours(now: dt.datetime, settings: Settings) -> bool:
    """Monday to Friday within the team's hours, in the team's time zone. Bank holidays are not known."""
    local = now.astimezone(ZoneInfo(settings.office_timezone))
    return local.weekday() < 5 and settings.office_opens_hour <= local.hour < settings.office_closes_hour
