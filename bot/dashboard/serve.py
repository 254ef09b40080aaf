"""`python -m bot dashboard`: serve the dashboard with waitress (a production WSGI server), with
the on-call alert check running beside it. `make run` starts this as one of its supervised children.
"""
from __future__ import annotations

import logging
import re

import waitress

from bot.config import Settings
from bot.dashboard.alerts import AlertWorker
from bot.dashboard.app import create_app
from bot.db.session import session_factory

# Defence in depth for "no phone numbers in the logs": our own log lines only name case and staff
# ids, but a library's message might carry a number; this masks anything that looks like one.
PHONE_LIKE = re.compile(r"\+?\d[\d ()-]{7,}\d")


class MaskPhoneNumbers(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = PHONE_LIKE.sub("[number]", message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def configure_logging() -> None:
    handler = logging.StreamHandler()
    handler.addFilter(MaskPhoneNumbers())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)


def serve(settings: Settings) -> int:
    configure_logging()
    app = create_app(settings)
    alerts = AlertWorker(session_factory(settings.database_url), settings)
    alerts.start()
    options = {}
    if settings.dashboard_trusted_proxy:
        # Only this proxy may tell us the client's address and whether it came over HTTPS.
        options = dict(trusted_proxy=settings.dashboard_trusted_proxy,
                       trusted_proxy_headers={"x-forwarded-for", "x-forwarded-proto"},
                       clear_untrusted_proxy_headers=True)
    try:
        waitress.serve(app, host="0.0.0.0", port=settings.dashboard_port, threads=8,
                       ident="dashboard", **options)
    finally:
        alerts.stopped.set()
    return 0
