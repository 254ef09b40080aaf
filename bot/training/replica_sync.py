"""A Rasa replica (re)started around a promotion serves the promoted model.

A replica reads the live model file while it starts, seconds before it listens. If a promotion
replaces the file in between, the promoter finds nothing listening there (Reload.NOT_RUNNING) and
the replica would keep the model it read. So the supervisor notes the live file's identity when it
starts a replica and, once the replica answers, tells it to load the live file again if the file
was replaced meanwhile (an extra reload at worst, never a stale model). The load runs in a thread
of its own: it takes as long as the replica needs to load a model, and the supervisor's loop that
calls `check` is the one that restarts crashed processes.
"""
from __future__ import annotations

import os
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Dict, Optional, Tuple

from bot.training.rasa_models import ModelLoadError, RasaModels

FileIdentity = Optional[Tuple[int, int]]


def file_identity(path: Path) -> FileIdentity:
    """Inode and modification time: an atomic rename (every promotion) changes both."""
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    return found.st_ino, found.st_mtime_ns


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


class ReplicaModelSync:
    def __init__(self, model_path: Path, token: str) -> None:
        self.model_path, self.token = Path(model_path), token
        self.starting: Dict[str, FileIdentity] = {}  # base URL -> live file when it started

    def started(self, base_url: str) -> None:
        self.starting[base_url] = file_identity(self.model_path)

    def check(self) -> None:
        """For each replica that has come up since it started: reload if the file changed."""
        for url, identity in list(self.starting.items()):
            if not answers(f"{url}/"):
                continue
            del self.starting[url]
            if file_identity(self.model_path) == identity:
                continue
            print(f"The live model changed while the Rasa server at {url} started; loading it there.",
                  file=sys.stderr, flush=True)
            threading.Thread(target=self._load_live_model, args=(url,), name=f"model-sync {url}",
                             daemon=True).start()

    def _load_live_model(self, url: str) -> None:
        try:
            RasaModels([url], self.token).load(self.model_path)
        except ModelLoadError as error:
            print(f"It could not load the live model: {error}", file=sys.stderr, flush=True)
