"""Talk to the running bot as a parent would, and read back what it decided, for the try-the-bot page.

Messages go through the REST channel, so they take the same path as a parent's (slash guard, risk
detection, policies, actions). What the bot decided comes from Rasa's HTTP API (the tracker,
token RASA_TOKEN): for each parent message, the intent and its confidence, the risk category,
and the actions that followed.
"""
from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from typing import List, Optional

import requests

TIMEOUT_SECONDS = 30
LISTEN = "action_listen"


class BotUnavailable(RuntimeError):
    """The Rasa server did not answer; the trainer is told to start it (make run)."""


@dataclass
class Turn:
    text: str
    intent: Optional[str]
    confidence: Optional[float]
    risk: Optional[str]
    actions: List[str] = field(default_factory=list)
    replies: List[str] = field(default_factory=list)


class RasaChat:
    def __init__(self, base_url: str, token: Optional[str]) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token

    def send(self, sender_id: str, text: str) -> None:
        try:
            response = requests.post(f"{self.base_url}/webhooks/rest/webhook",
                                     json={"sender": sender_id, "message": text}, timeout=TIMEOUT_SECONDS)
            response.raise_for_status()
        except requests.RequestException as error:
            raise BotUnavailable(f"the bot did not answer ({type(error).__name__}); is make run running?") from error

    def turns(self, sender_id: str) -> List[Turn]:
        url = f"{self.base_url}/conversations/{urllib.parse.quote(sender_id, safe='')}/tracker"
        try:
            response = requests.get(url, params={"token": self.token or "", "include_events": "ALL"},
                                    timeout=TIMEOUT_SECONDS)
            response.raise_for_status()
        except requests.RequestException as error:
            raise BotUnavailable(f"could not read the conversation ({type(error).__name__})") from error
        return turns_from_events(response.json().get("events") or [])


def turns_from_events(events: List[dict]) -> List[Turn]:
    """One turn per parent message, with what the bot predicted and did until the next one."""
    turns: List[Turn] = []
    for event in events:
        kind = event.get("event")
        if kind == "user":
            parse = event.get("parse_data") or {}
            intent = parse.get("intent") or {}
            turns.append(Turn(text=event.get("text") or "", intent=intent.get("name"),
                              confidence=intent.get("confidence"),
                              risk=(parse.get("risk") or {}).get("category")))
        elif turns and kind == "action" and event.get("name") not in (LISTEN, None):
            turns[-1].actions.append(event["name"])
        elif turns and kind == "bot" and event.get("text"):
            turns[-1].replies.append(event["text"])
    return turns
