"""The trainers' pages: the model registry, evaluation reports, promotion and rollback.

Trainers and admins both use them; only an admin's override reason can take a model past a
failed gate (bot/training/promotion.py checks the role, so a forged form field cannot either).
Each promotion or rollback is audited with the person and their address.
"""
from __future__ import annotations

from typing import Optional

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from bot.dashboard import security
from bot.dashboard.audit import Action
from bot.dashboard.security import allow
from bot.db.staff import Role
from bot.training import jobs, refresh, report, services
from bot.training.promotion import PromotionError
from bot.training.rasa_models import ModelLoadError, Reload

blueprint = Blueprint("training", __name__, url_prefix="/training")
TRAINING_ROLES = (Role.TRAINER.value, Role.ADMIN.value)
RECENT_EVENTS = 20
DONE = {
    "promote": "The model is live. Every running Rasa server serves it now.",
    "rollback": "Rolled back. Every running Rasa server serves the previous model now.",
    "partial": "Done. The running Rasa servers serve it now; the others will when they start.",
    "saved": "The model is live; the bot was not running and will serve it when it starts.",
}
JOB_LABELS = {"validate": "Validate the data", "train": "Train and register a model",
              "evaluate": "Evaluate the live model"}


def _settings():
    return current_app.extensions["dashboard"].settings


@blueprint.get("")
@allow(*TRAINING_ROLES)
def show():
    return _page(notice=DONE.get(request.args.get("done", "")))


def _page(notice: Optional[str] = None, error: Optional[str] = None, status: int = 200):
    settings = _settings()
    registry = services.registry(settings)
    live = services.in_service(settings)
    events = list(reversed(registry.state()["events"]))[:RECENT_EVENTS]
    pending = refresh.not_in_service(settings, settings.project_root / "config.yml")
    return render_template("training.html", entries=list(reversed(registry.entries())),
                           live_id=live.model_id if live else None, events=events, pending=pending,
                           notice=notice, error=error), status


@blueprint.get("/evaluation")
@allow(*TRAINING_ROLES)
def evaluation():
    try:
        subject = services.evaluation_subject(_settings())
    except FileNotFoundError:
        return render_template("training_report.html", subject=None, body=None)
    return render_template("training_report.html", subject=subject, body=report.body(subject))


@blueprint.get("/models/<model_id>")
@allow(*TRAINING_ROLES)
def model(model_id: str):
    try:
        subject = services.model_subject(_settings(), model_id)
    except LookupError:
        abort(404)
    return render_template("training_report.html", subject=subject, body=report.body(subject),
                           model_id=model_id)


@blueprint.post("/models/<model_id>/promote")
@allow(*TRAINING_ROLES)
def promote(model_id: str):
    promoter = services.dashboard_promoter(_settings())
    try:
        promoter.registry.get(model_id)
    except LookupError:
        abort(404)
    try:
        outcome = promoter.promote(model_id, by=security.current().staff, ip=security.client_ip(),
                                   override_reason=request.form.get("override_reason", ""))
    except (PromotionError, ModelLoadError) as error:
        return _page(error=str(error), status=409)
    return redirect(url_for("training.show", done=_done("promote", outcome.reload)))


@blueprint.post("/rollback")
@allow(*TRAINING_ROLES)
def rollback():
    try:
        outcome = services.dashboard_promoter(_settings()).rollback(by=security.current().staff,
                                                          ip=security.client_ip())
    except (PromotionError, ModelLoadError) as error:
        return _page(error=str(error), status=409)
    return redirect(url_for("training.show", done=_done("rollback", outcome.reload)))


def _done(action: str, reload: Reload) -> str:
    """Which notice the page shows: how many of the Rasa servers switched."""
    return {Reload.LOADED: action, Reload.SOME_RUNNING: "partial", Reload.NOT_RUNNING: "saved"}[reload]


def _jobs() -> jobs.JobRunner:
    settings = _settings()
    return jobs.JobRunner(settings.var_dir / "jobs", jobs.commands(settings), settings.project_root)


@blueprint.get("/jobs")
@allow(*TRAINING_ROLES)
def jobs_page():
    return _jobs_page()


def _jobs_page(error: Optional[str] = None, status: int = 200):
    recent = _jobs().recent()
    return render_template("training_jobs.html", jobs=recent, labels=JOB_LABELS, error=error,
                           running=any(job.running for job in recent)), status


@blueprint.post("/jobs/<kind>")
@allow(*TRAINING_ROLES)
def start_job(kind: str):
    if kind not in JOB_LABELS:
        abort(404)
    try:
        _jobs().start(kind)
    except jobs.JobBusy as busy:
        return _jobs_page(error=str(busy), status=409)
    current_app.extensions["dashboard"].audit.write(Action.JOB_STARTED, staff=security.current().staff,
                                                    ip=security.client_ip(), detail=kind)
    return redirect(url_for("training.jobs_page"))
