"""Try the bot: a trainer talks to the running bot as a parent would and sees, for each message,
the predicted intent and confidence, the risk category and the actions taken.

Each conversation has a sender id from bot/handoffs/test_senders.py, which the handoff actions
recognise: it is marked as a test, never becomes a case and never alerts anyone.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from bot.dashboard.security import allow
from bot.db.staff import Role
from bot.handoffs.test_senders import is_test_sender, new_test_sender
from bot.messaging.pseudonym import load_secret
from bot.training.rasa_chat import BotUnavailable, RasaChat

blueprint = Blueprint("try_bot", __name__, url_prefix="/training/try")
TRAINING_ROLES = (Role.TRAINER.value, Role.ADMIN.value)
MESSAGE_MAX_CHARS = 1000


def _settings():
    return current_app.extensions["dashboard"].settings


def _chat() -> RasaChat:
    settings = _settings()
    return RasaChat(f"http://127.0.0.1:{settings.rasa_port}", settings.rasa_token)


def _conversation(raw: str) -> str:
    if not is_test_sender(raw, load_secret(_settings())):
        abort(404)
    return raw


@blueprint.get("")
@allow(*TRAINING_ROLES)
def show():
    raw = request.args.get("c", "")
    if not raw:
        return redirect(url_for("try_bot.show", c=new_test_sender(load_secret(_settings()))))
    conversation = _conversation(raw)
    try:
        turns, error = _chat().turns(conversation), None
    except BotUnavailable as unavailable:
        turns, error = [], str(unavailable)
    return render_template("try_bot.html", conversation=conversation, turns=turns, error=error)


@blueprint.post("")
@allow(*TRAINING_ROLES)
def send():
    conversation = _conversation(request.form.get("conversation", ""))
    text = request.form.get("text", "").strip()[:MESSAGE_MAX_CHARS]
    if text:
        try:
            _chat().send(conversation, text)
        except BotUnavailable as unavailable:
            return render_template("try_bot.html", conversation=conversation, turns=[],
                                   error=str(unavailable)), 503
    return redirect(url_for("try_bot.show", c=conversation))
