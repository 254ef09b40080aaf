"""The audit log for admins: read and filter it on screen, or download it as CSV (itself audited)."""
from __future__ import annotations

import csv
import datetime as dt
import io

from flask import Blueprint, Response, current_app, render_template, request

from bot.dashboard import security
from bot.dashboard.audit import Action, AuditFilter
from bot.dashboard.security import allow
from bot.db.staff import Role

blueprint = Blueprint("audit", __name__, url_prefix="/audit")
ADMIN = Role.ADMIN.value


def _filter() -> AuditFilter:
    case = request.args.get("case", "").strip()
    action = request.args.get("action", "")
    return AuditFilter(
        staff_email=request.args.get("staff", "").strip(),
        case_id=int(case) if case.isdigit() else None,
        action=action if action in {a.value for a in Action} else "",
        since=_date(request.args.get("since", "")),
        until=_date(request.args.get("until", "")),
    )


def _date(raw: str):
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


@blueprint.get("")
@allow(ADMIN)
def show():
    log = current_app.extensions["dashboard"].audit
    wanted = _filter()
    log.write(Action.AUDIT_VIEWED, staff=security.current().staff, ip=security.client_ip())
    return render_template("audit.html", entries=log.search(wanted), wanted=wanted,
                           actions=[a.value for a in Action], query=request.query_string.decode())


@blueprint.get("/export.csv")
@allow(ADMIN)
def export():
    log = current_app.extensions["dashboard"].audit
    log.write(Action.AUDIT_EXPORTED, staff=security.current().staff, ip=security.client_ip())
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "at", "staff_email", "case_id", "action", "detail", "ip"])
    for entry in log.search(_filter(), limit=None):
        writer.writerow([entry.id, entry.at.isoformat(), entry.staff_email or "", entry.case_id or "",
                         entry.action, entry.detail or "", entry.ip or ""])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="audit.csv"'})
