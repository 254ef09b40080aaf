"""`create_app(settings)`: the dashboard as a Flask application, its services built once per app."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask import Flask, render_template

from bot.config import Settings
from bot.dashboard import security
from bot.dashboard.accounts import Accounts, as_utc
from bot.dashboard.audit import AuditLog
from bot.dashboard.casework import CaseWork, closing_message
from bot.dashboard.rasa_client import RasaClient
from bot.dashboard.sessions import SessionStore
from bot.db.session import session_factory


@dataclass
class Services:
    """What the views use, built once per app from the settings."""

    settings: Settings
    accounts: Accounts
    sessions: SessionStore
    audit: AuditLog
    cases: CaseWork


def build_services(settings: Settings) -> Services:
    sessions = session_factory(settings.database_url)
    rasa = RasaClient(f"http://127.0.0.1:{settings.rasa_port}", settings.rasa_token)
    return Services(
        settings=settings,
        accounts=Accounts(sessions),
        sessions=SessionStore(sessions, settings.session_idle_minutes),
        audit=AuditLog(sessions),
        cases=CaseWork(sessions, settings.tracker_store_url, rasa,
                       closing_message(settings.project_root)),
    )


def create_app(settings: Settings) -> Flask:
    from bot.dashboard.blueprints import audit, auth, cases, inbox, queue, training, try_bot

    app = Flask(__name__)
    app.config.update(DASHBOARD_URL=settings.dashboard_url, MAX_CONTENT_LENGTH=64 * 1024)
    app.extensions["dashboard"] = build_services(settings)
    for blueprint in (auth.blueprint, queue.blueprint, cases.blueprint, audit.blueprint,
                      training.blueprint, inbox.blueprint, try_bot.blueprint):
        app.register_blueprint(blueprint)
    app.before_request(security.check_access)
    app.before_request(security.check_csrf)
    app.after_request(security.finish_response)
    zone = ZoneInfo(settings.office_timezone)
    app.jinja_env.globals.update(csrf_token=security.csrf_token, current=security.current)
    app.jinja_env.filters["local"] = lambda moment: _local(moment, zone)
    app.jinja_env.filters["duration"] = _duration
    for code in (400, 403, 404, 405, 413):
        app.register_error_handler(code, _error_page)
    return app


def _error_page(error):
    return render_template("error.html", error=error), error.code


def _local(moment, zone: ZoneInfo) -> str:
    """A time as staff read it: their office's zone, day and minute (from a datetime or the ISO
    text the risk signals keep)."""
    if not moment:
        return ""
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    return as_utc(moment).astimezone(zone).strftime("%a %d %b %Y %H:%M")


def _duration(span: dt.timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min"
    return f"{hours // 24} days"
