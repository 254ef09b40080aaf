"""A turn whose custom action could not run fails, instead of carrying on without it.

Rasa's processor catches any error from a custom action, logs "Bot will continue, but the actions
events are lost" and finishes the turn, saving the conversation. For this service that loses
what the action does: the offer of a health visitor, or the acceptance that creates the case and
its consent record, while the parent's "yes" is marked handled. So when the action server cannot
be reached or answers with an error (not a deliberate rejection, which is normal flow), the turn
raises `ActionServerUnavailable` after its prediction loop and before the conversation is saved:
nothing of the turn is kept, the inbox worker tries the message again once the action server is
back (the actions are idempotent per offer), the REST channel answers 500, and an ALERT is logged.

Installed by importing this module (bot/channels/twilio.py does, in the Rasa server).
"""
from __future__ import annotations

import contextvars
from typing import Any

from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.processor import MessageProcessor
from rasa.shared.exceptions import RasaException

from bot.alerts import ACTION_SERVER_UNAVAILABLE, alert


class ActionServerUnavailable(RuntimeError):
    """A custom action of this turn did not run; the turn must be tried again, not saved."""


# Set by a failed custom action in the current turn (one asyncio task per turn).
_failed_action: contextvars.ContextVar = contextvars.ContextVar("failed_custom_action", default=None)
_stock_remote_run = RemoteAction.run
_stock_prediction_loop = MessageProcessor._run_prediction_loop


async def _remote_run(self: RemoteAction, *args: Any, **kwargs: Any) -> Any:
    try:
        return await _stock_remote_run(self, *args, **kwargs)
    except ActionExecutionRejection:
        raise
    except RasaException:
        _failed_action.set(self.name())
        raise


async def _prediction_loop(self: MessageProcessor, *args: Any, **kwargs: Any) -> None:
    token = _failed_action.set(None)
    try:
        await _stock_prediction_loop(self, *args, **kwargs)
        failed = _failed_action.get()
    finally:
        _failed_action.reset(token)
    if failed:
        alert(ACTION_SERVER_UNAVAILABLE, "custom action %s did not run; the turn is not saved", failed)
        raise ActionServerUnavailable(f"custom action {failed} did not run")


RemoteAction.run = _remote_run
MessageProcessor._run_prediction_loop = _prediction_loop
