"""A case page, its export, and the actions on it (each a POST that redirects back to the page)."""
from __future__ import annotations

from typing import Optional

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for

from bot.dashboard import security
from bot.dashboard.audit import Action
from bot.dashboard.casework import OUTCOMES, Actor, CaseNotFound, CaseRefused
from bot.dashboard.export import case_as_text
from bot.dashboard.security import allow
from bot.db.staff import Role

blueprint = Blueprint("cases", __name__, url_prefix="/cases")
HEALTH_VISITOR = Role.HEALTH_VISITOR.value
# What the page says after each action (passed as ?done=, so no message needs a cookie).
DONE = {
    "claim": "You have claimed this case.",
    "unclaim": "The case is back in the queue, unclaimed.",
    "reassign": "The case has been reassigned.",
    "note": "Note added.",
    "reply": "Your reply is on its way to the parent.",
    "close": "Case closed. The parent has been told, and the bot answers them again.",
    "false_alarm": "Thank you: the messages that raised this risk are in the trainers' inbox (without names or numbers).",
    "missed_risk": "Thank you: that message is in the trainers' inbox (without names or numbers).",
}


def _work():
    return current_app.extensions["dashboard"].cases


def _actor() -> Actor:
    return Actor(security.current().staff, security.client_ip())


@blueprint.get("/<int:case_id>")
@allow(HEALTH_VISITOR)
def show(case_id: int):
    return _page(case_id, notice=DONE.get(request.args.get("done", "")))


def _page(case_id: int, notice: Optional[str] = None, error: Optional[str] = None, status: int = 200):
    try:
        view = _work().view(case_id, _actor())
    except CaseNotFound:
        abort(404)
    team = current_app.extensions["dashboard"].accounts.team_members(view.case.team)
    return render_template("case.html", view=view, case=view.case, outcomes=OUTCOMES, team=team,
                           notice=notice, error=error), status


@blueprint.get("/<int:case_id>/export")
@allow(HEALTH_VISITOR)
def export(case_id: int):
    """The case as plain text, to file in the health record."""
    try:
        view = _work().view(case_id, _actor(), action=Action.CASE_EXPORTED)
    except CaseNotFound:
        abort(404)
    return Response(case_as_text(view, current_app.jinja_env.filters["local"]),
                    mimetype="text/plain",
                    headers={"Content-Disposition": f'attachment; filename="case-{case_id}.txt"'})


def _act(case_id: int, action, *args, done: str):
    """Run an action; then back to the page (Post/Redirect/Get), or the page with why not."""
    try:
        action(case_id, _actor(), *args)
    except CaseNotFound:
        abort(404)
    except CaseRefused as refusal:
        return _page(case_id, error=str(refusal), status=409)
    return redirect(url_for("cases.show", case_id=case_id, done=done))


@blueprint.post("/<int:case_id>/claim")
@allow(HEALTH_VISITOR)
def claim(case_id: int):
    return _act(case_id, _work().claim, done="claim")


@blueprint.post("/<int:case_id>/unclaim")
@allow(HEALTH_VISITOR)
def unclaim(case_id: int):
    return _act(case_id, _work().unclaim, done="unclaim")


@blueprint.post("/<int:case_id>/reassign")
@allow(HEALTH_VISITOR)
def reassign(case_id: int):
    to_staff = request.form.get("staff_id", "")
    if not to_staff.isdigit():
        abort(400, "Choose who should hold the case.")
    return _act(case_id, _work().reassign, int(to_staff), done="reassign")


@blueprint.post("/<int:case_id>/notes")
@allow(HEALTH_VISITOR)
def add_note(case_id: int):
    return _act(case_id, _work().add_note, request.form.get("text", ""), done="note")


@blueprint.post("/<int:case_id>/reply")
@allow(HEALTH_VISITOR)
def reply(case_id: int):
    return _act(case_id, _work().reply, request.form.get("text", ""),
                done="reply")


@blueprint.post("/<int:case_id>/false-alarm")
@allow(HEALTH_VISITOR)
def false_alarm(case_id: int):
    return _act(case_id, _work().flag_false_alarm, done="false_alarm")


@blueprint.post("/<int:case_id>/missed-risk")
@allow(HEALTH_VISITOR)
def missed_risk(case_id: int):
    return _act(case_id, _work().flag_missed_risk, request.form.get("message", ""), done="missed_risk")


@blueprint.post("/<int:case_id>/close")
@allow(HEALTH_VISITOR)
def close(case_id: int):
    return _act(case_id, _work().close, request.form.get("outcome", ""),
                done="close")
