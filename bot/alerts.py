"""Alerts: conditions a person must act on now, logged at CRITICAL with one fixed marker.

Every alert line starts with `ALERT[<code>]`, so whatever collects the logs (journald, a
container platform's log router, Loki, CloudWatch) can page on that marker without parsing
anything else. Codes:

- `database-unavailable`: the application database or the tracker store did not answer. The
  Twilio webhook answers 503 (Twilio retries), the inbox worker keeps messages pending and tries
  again, readiness (`/webhooks/health/ready`) fails. Nothing falls back to memory.
- `action-server-unavailable`: a custom action could not run; the turn is not saved and the
  inbox worker tries the message again (bot/dialogue/fail_closed_actions.py).
- `lock-connection-lost`: a replica lost the connection holding its advisory locks while it was
  working on some parents' messages (see bot/db/locks.py).

Alert lines, like every log line here, carry ids only: no phone numbers, no message text.
"""
from __future__ import annotations

import itertools
import logging

logger = logging.getLogger("bot.alerts")
# Numbers each alert of the process. `rasa run` puts Rasa's RepeatedLogFilter on the root handlers,
# and it drops a log record identical to the one before it: without a number, a second outage with
# nothing logged since the first would page nobody.
_numbers = itertools.count(1)

DATABASE_UNAVAILABLE = "database-unavailable"
LOCK_CONNECTION_LOST = "lock-connection-lost"
ACTION_SERVER_UNAVAILABLE = "action-server-unavailable"


def alert(code: str, message: str, *args: object, exc_info: bool = False) -> None:
    """Log `message` (%-style with `args`) as an alert with the given code and its number."""
    logger.critical("ALERT[%s] " + message + " (alert %d of this process)", code, *args, next(_numbers),
                    exc_info=exc_info)
