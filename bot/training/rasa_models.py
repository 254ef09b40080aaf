"""The Rasa servers' model endpoint, wrapped: load a model file into every running replica.

Rasa 3.6's `PUT /model` loads the new agent first and then swaps it in (keeping the lock store),
so a message is handled by the old model or the new one, never dropped. Loading blocks that
server's event loop for a few seconds; messages arriving meanwhile wait in the socket, they are
not refused. Replicas are told one after another, so while one loads the others answer at once.
A replica that is not running loads the live model file when it starts (the supervisor restarts
replicas with it). The API needs RASA_TOKEN, which `make run` passes to every process it starts.
"""
from __future__ import annotations

import enum
from pathlib import Path
from typing import List, Optional, Sequence

import requests

LOAD_TIMEOUT_SECONDS = 180


class Reload(str, enum.Enum):
    LOADED = "loaded"                # every replica serves the model now
    SOME_RUNNING = "some_running"    # the running replicas serve it; the others load it when they start
    NOT_RUNNING = "not_running"      # no replica is running; each loads it when it starts


class ModelLoadError(RuntimeError):
    """A replica is running but refused or failed to load the model: it still serves the old one.
    `switched` lists the replicas told before it, which did load the new model."""

    def __init__(self, message: str, switched: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.switched = list(switched)


class RasaModels:
    def __init__(self, base_urls: Sequence[str], token: Optional[str]) -> None:
        if isinstance(base_urls, str):
            raise TypeError("base_urls is a list of URLs, one per Rasa replica")
        self.base_urls = [url.rstrip("/") for url in base_urls]
        self.token = token

    def load(self, model_file: Path, only: Optional[Sequence[str]] = None) -> Reload:
        """Make every running replica (or those in `only`) serve `model_file`, one at a time;
        stop at the first that fails (ModelLoadError says which had already switched)."""
        targets = list(only if only is not None else self.base_urls)
        loaded: List[str] = []
        for url in targets:
            try:
                if self._load_one(url, model_file):
                    loaded.append(url)
            except ModelLoadError as error:
                raise ModelLoadError(str(error), switched=loaded) from error
        if not loaded:
            return Reload.NOT_RUNNING
        return Reload.LOADED if len(loaded) == len(targets) else Reload.SOME_RUNNING

    def _load_one(self, base_url: str, model_file: Path) -> bool:
        """True once the replica serves `model_file`; False if nothing listens there."""
        try:
            response = requests.put(f"{base_url}/model", params={"token": self.token or ""},
                                    json={"model_file": str(Path(model_file).resolve())},
                                    timeout=LOAD_TIMEOUT_SECONDS)
        except requests.ConnectionError:
            return False
        except requests.RequestException as error:
            raise ModelLoadError(f"the Rasa server at {base_url} did not answer: "
                                 f"{type(error).__name__}") from error
        if response.status_code != 204:
            raise ModelLoadError(f"the Rasa server at {base_url} answered {response.status_code}: "
                                 f"{response.text[:300]}")
        return True
