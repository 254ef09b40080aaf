"""The Rasa server's model endpoint, wrapped: load a model file into the running server.

Rasa 3.6's `PUT /model` loads the new agent first and then swaps it in (keeping the lock store),
so a message is handled by the old model or the new one, never dropped. Loading blocks the
server's event loop for a few seconds; messages arriving meanwhile wait in the socket, they are
not refused. The API needs RASA_TOKEN, which `make run` passes to every process it starts.
"""
from __future__ import annotations

import enum
from pathlib import Path
from typing import Optional

import requests

LOAD_TIMEOUT_SECONDS = 180


class Reload(str, enum.Enum):
    LOADED = "loaded"
    NOT_RUNNING = "not_running"


class ModelLoadError(RuntimeError):
    """The server is running but refused or failed to load the model: it still serves the old one."""


class RasaModels:
    def __init__(self, base_url: str, token: Optional[str]) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token

    def load(self, model_file: Path) -> Reload:
        """Make the running server serve `model_file`; NOT_RUNNING if nothing listens (it will
        load the live model file when it starts)."""
        try:
            response = requests.put(f"{self.base_url}/model", params={"token": self.token or ""},
                                    json={"model_file": str(Path(model_file).resolve())},
                                    timeout=LOAD_TIMEOUT_SECONDS)
        except requests.ConnectionError:
            return Reload.NOT_RUNNING
        except requests.RequestException as error:
            raise ModelLoadError(f"the Rasa server did not answer: {type(error).__name__}") from error
        if response.status_code != 204:
            raise ModelLoadError(f"the Rasa server answered {response.status_code}: {response.text[:300]}")
        return Reload.LOADED

    def serving(self) -> Optional[str]:
        """The model file the server reports it serves, or None if it is not running."""
        try:
            response = requests.get(f"{self.base_url}/status", params={"token": self.token or ""},
                                    timeout=10)
            response.raise_for_status()
        except requests.RequestException:
            return None
        return response.json().get("model_file")
