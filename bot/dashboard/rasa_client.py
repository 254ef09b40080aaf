"""The one call the dashboard makes to the Rasa server: resume the bot for a parent.

Closing a case in the database is what matters; the bot also notices on the parent's next message
(action_record_paused_message finds no open case). Setting the `handoff_open` slot through Rasa's
HTTP API at close time means that next message is answered as a question straight away rather
than with "your case was closed". The API is protected by RASA_TOKEN, which `make run` passes to
every child process.
"""
from __future__ import annotations

import logging
import urllib.parse
from typing import Optional

import requests

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10
# bot.dialogue.pause_policy.PAUSE_SLOT; not imported, as that module loads Rasa's policy stack.
PAUSE_SLOT = "handoff_open"


class RasaClient:
    def __init__(self, base_url: str, token: Optional[str]) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token

    def resume_bot(self, sender_id: str, case_id: int) -> bool:
        """Set handoff_open to false in the parent's conversation. False (and a warning naming the
        case, never the parent) if the Rasa server could not be reached: the next message will
        still resume the bot through the paused-message action."""
        url = (f"{self.base_url}/conversations/{urllib.parse.quote(sender_id, safe='')}"
               "/tracker/events")
        try:
            response = requests.post(
                url, params={"token": self.token or "", "include_events": "NONE"},
                json=[{"event": "slot", "name": PAUSE_SLOT, "value": False}],
                timeout=TIMEOUT_SECONDS,
            )
            response.raise_for_status()
            return True
        except requests.RequestException as error:
            log.warning("could not resume the bot for case %s through the Rasa API: %s",
                        case_id, type(error).__name__)
            return False
