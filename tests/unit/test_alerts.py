"""Alert lines (bot/alerts.py) under the log filter `rasa run` installs."""
from __future__ import annotations

import logging

from rasa.utils.common import RepeatedLogFilter

from bot.alerts import DATABASE_UNAVAILABLE, alert


class Collected(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_the_same_alert_twice_in_a_row_is_logged_twice_under_rasas_repeated_log_filter():
    handler = Collected()
    handler.addFilter(RepeatedLogFilter())
    logger = logging.getLogger("bot.alerts")
    logger.addHandler(handler)
    try:
        for _ in range(2):
            alert(DATABASE_UNAVAILABLE, "application database unreachable (%s)", "OperationalError")
    finally:
        logger.removeHandler(handler)
    assert len(handler.lines) == 2
    assert all(line.startswith("ALERT[database-unavailable] application database unreachable")
               for line in handler.lines)
