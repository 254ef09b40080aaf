"""The trainers' inbox: misunderstood parent messages (redacted), labelled into the training data.

Opening the page first collects any new fallback or unsure messages from the tracker store.
A label writes one line into data/nlu (bot/training/labelling.py); a conflict with an existing
label is shown and needs the trainer's confirmation; a duplicate closes the item and writes nothing.
"""
from __future__ import annotations

from typing import Optional

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from bot.dashboard import security
from bot.dashboard.audit import Action
from bot.dashboard.security import allow
from bot.db.session import session_factory
from bot.db.staff import Role
from bot.training import inbox as inbox_module
from bot.training import labelling

blueprint = Blueprint("inbox", __name__, url_prefix="/training/inbox")
TRAINING_ROLES = (Role.TRAINER.value, Role.ADMIN.value)
DONE = {"labelled": "Labelled: the example is in the training data (retrain to use it).",
        "duplicate": "That text is already an example of this intent; nothing was written.",
        "noise": "Marked as noise."}


def _services():
    return current_app.extensions["dashboard"]


def _inbox() -> inbox_module.Inbox:
    return inbox_module.Inbox(session_factory(_services().settings.database_url))


@blueprint.get("")
@allow(*TRAINING_ROLES)
def show():
    settings = _services().settings
    inbox_module.collect(settings.tracker_store_url, session_factory(settings.database_url),
                         inbox_module.thresholds_from_config(settings.project_root / "config.yml"))
    return _page(notice=DONE.get(request.args.get("done", "")))


def _page(notice: Optional[str] = None, error: Optional[str] = None, conflicts=None,
          conflict_item: Optional[int] = None, status: int = 200):
    data_dir = _services().settings.nlu_data_dir
    examples = labelling.existing_examples(data_dir) if data_dir.is_dir() else {}
    intents = sorted({f.intent for places in examples.values() for f in places})
    existing_conflicts = {text: places for text, places in examples.items()
                          if len({p.intent for p in places}) > 1}
    return render_template("inbox.html", items=_inbox().waiting(), intents=intents,
                           existing_conflicts=existing_conflicts, conflicts=conflicts or [],
                           conflict_item=conflict_item, notice=notice, error=error), status


def _item(item_id: int):
    try:
        return _inbox().get(item_id)
    except LookupError:
        abort(404)


@blueprint.post("/<int:item_id>/label")
@allow(*TRAINING_ROLES)
def label(item_id: int):
    item = _item(item_id)
    intent = request.form.get("intent", "").strip()
    if not intent:
        return _page(error="Choose an intent or a risk category.", status=400)
    try:
        result = labelling.label(_services().settings.nlu_data_dir, item.text, intent,
                                 allow_conflict=request.form.get("confirm_conflict") == "yes")
    except (LookupError, ValueError) as error:
        return _page(error=str(error), status=400)
    if not result.written and not result.duplicates:
        return _page(error="Another intent already has this text. Confirm to label it anyway.",
                     conflicts=result.conflicts, conflict_item=item.id, status=409)
    staff = security.current().staff
    _inbox().close(item.id, "labelled", intent, staff.email)
    _services().audit.write(Action.INBOX_LABELLED, staff=staff, ip=security.client_ip(),
                            detail=f"item {item.id} -> {intent}")
    return redirect(url_for("inbox.show", done="labelled" if result.written else "duplicate"))


@blueprint.post("/<int:item_id>/noise")
@allow(*TRAINING_ROLES)
def noise(item_id: int):
    item = _item(item_id)
    staff = security.current().staff
    _inbox().close(item.id, "noise", None, staff.email)
    _services().audit.write(Action.INBOX_NOISE, staff=staff, ip=security.client_ip(),
                            detail=f"item {item.id}")
    return redirect(url_for("inbox.show", done="noise"))
