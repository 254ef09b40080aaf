"""The model registry: every trained model kept, with its figures and the data it came from.

Layout under MODEL_REGISTRY_DIR (models/registry by default):
  <id>.tar.gz   the model archive, never changed once written
  <id>.json     its entry: figures, data version, SHA-256 of the archive, where it came from
  state.json    the live history: a stack of model ids (promote pushes, rollback pops) and
                every promotion and rollback with who, when and any override reason
Files are written to a temporary name and renamed, so a reader never sees half an entry, and
promotions take a lock file so two cannot interleave.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import shutil
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterator, List, Optional

from bot.training.data_version import DataVersion
from bot.training.figures import Figures


@dataclass(frozen=True)
class Entry:
    model_id: str
    created_at: str
    sha256: str
    source: str
    data_version: DataVersion
    figures: Figures

    def to_dict(self) -> dict:
        return {"model_id": self.model_id, "created_at": self.created_at, "sha256": self.sha256,
                "source": self.source, "data_version": asdict(self.data_version),
                "figures": self.figures.to_dict()}

    @classmethod
    def from_dict(cls, raw: dict) -> "Entry":
        return cls(model_id=raw["model_id"], created_at=raw["created_at"], sha256=raw["sha256"],
                   source=raw["source"], data_version=DataVersion(**raw["data_version"]),
                   figures=Figures.from_dict(raw["figures"]))


def file_sha256(path: Path) -> str:
    """The file's SHA-256, read again only when the file changed. The dashboard's Models page asks
    for the live model's on every load, and a model is some 18 MB; models are written whole and
    renamed into place, so a new one always has a new modification time."""
    status = path.stat()
    return _sha256_of(str(path), status.st_mtime_ns, status.st_size)


@lru_cache(maxsize=64)
def _sha256_of(path: str, modified_ns: int, size: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def copy_atomically(source: Path, target: Path) -> None:
    """Copy then rename: whoever opens `target` gets the old file or the new one, whole."""
    temporary = target.with_name(f".{target.name}.tmp")
    shutil.copyfile(source, temporary)
    os.replace(temporary, target)


class Registry:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def archive(self, model_id: str) -> Path:
        return self.root / f"{model_id}.tar.gz"

    def add(self, model_file: Path, figures: Figures, data_version: DataVersion, source: str,
            now: Optional[dt.datetime] = None) -> Entry:
        """Keep a copy of `model_file` with its figures. The same archive twice is one entry."""
        self.root.mkdir(parents=True, exist_ok=True)
        digest = file_sha256(model_file)
        known = self.find_by_sha256(digest)
        if known is not None:
            return known
        now = now or dt.datetime.now(dt.timezone.utc)
        entry = Entry(model_id=f"{now:%Y%m%dT%H%M%S}-{digest[:8]}", created_at=now.isoformat(),
                      sha256=digest, source=source, data_version=data_version, figures=figures)
        copy_atomically(model_file, self.archive(entry.model_id))
        write_atomically(self.root / f"{entry.model_id}.json", json.dumps(entry.to_dict(), indent=2))
        return entry

    def entries(self) -> List[Entry]:
        """Oldest first."""
        if not self.root.is_dir():
            return []
        files = sorted(p for p in self.root.glob("*.json") if p.name != "state.json")
        return [Entry.from_dict(json.loads(p.read_text(encoding="utf-8"))) for p in files]

    def get(self, model_id: str) -> Entry:
        path = self.root / f"{model_id}.json"
        if "/" in model_id or not path.is_file():
            raise LookupError(f"no model {model_id!r} in the registry")
        return Entry.from_dict(json.loads(path.read_text(encoding="utf-8")))

    def newest(self) -> Entry:
        entries = self.entries()
        if not entries:
            raise LookupError("the registry is empty: train or register a model first")
        return entries[-1]

    def find_by_sha256(self, digest: str) -> Optional[Entry]:
        return next((e for e in self.entries() if e.sha256 == digest), None)

    def trained_from(self, inputs_sha256: str, source: str) -> Optional[Entry]:
        """The newest model this registry trained (`source`, e.g. "trained with config.yml") from
        exactly these training inputs. Models registered from a file are not counted: their data
        version is the working tree's when they were registered, not necessarily what they came from."""
        return next((e for e in reversed(self.entries())
                     if e.source == source and e.data_version.inputs_sha256 == inputs_sha256), None)

    def state(self) -> dict:
        path = self.root / "state.json"
        if not path.is_file():
            return {"live": [], "events": []}
        return json.loads(path.read_text(encoding="utf-8"))

    def save_state(self, state: dict) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        write_atomically(self.root / "state.json", json.dumps(state, indent=2))

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """One promotion or rollback at a time, across processes."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
