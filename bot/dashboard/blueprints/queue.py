"""The queue page, and the fragment of it that the page's script fetches to refresh itself."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from bot.dashboard import security
from bot.dashboard.audit import Action
from bot.dashboard.queue import CATEGORY_FILTERS, STATUS_FILTERS, load_queue
from bot.dashboard.security import allow, passive
from bot.db.models import utcnow
from bot.db.staff import Role

blueprint = Blueprint("queue", __name__)
# How often the page refreshes its table, in seconds (also the page's no-JS hint).
REFRESH_SECONDS = 30


def _rows():
    services = current_app.extensions["dashboard"]
    status = request.args.get("status", "active")
    category = request.args.get("category", "")
    status = status if status in STATUS_FILTERS else "active"
    category = category if category in CATEGORY_FILTERS else ""
    rows = load_queue(services.accounts.sessions, services.settings, security.current().staff.team,
                      utcnow(), status=status, category=category)
    return rows, status, category


@blueprint.get("/queue")
@allow(Role.HEALTH_VISITOR.value)
def show():
    rows, status, category = _rows()
    here = security.current()
    current_app.extensions["dashboard"].audit.write(
        Action.QUEUE_VIEWED, staff=here.staff, ip=security.client_ip(),
        detail=f"status={status} category={category or 'any'}")
    return render_template("queue.html", rows=rows, status=status, category=category,
                           statuses=STATUS_FILTERS, categories=CATEGORY_FILTERS,
                           refresh_seconds=REFRESH_SECONDS, now=utcnow())


@blueprint.get("/queue/rows")
@allow(Role.HEALTH_VISITOR.value)
@passive
def rows():
    """The table alone, for the page's refresh script; fetching it is not activity, so an
    unattended screen still times out."""
    found, status, category = _rows()
    return render_template("_queue_rows.html", rows=found, now=utcnow())
