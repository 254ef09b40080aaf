"""What a model was trained from: the git commit and a hash of the training inputs.

The commit alone is not enough (trainers label into a working tree before committing), so the
hash covers config.yml, domain.yml, every file under data/ and the source of the project's own
pipeline components and policies (a change to how they learn or score is a different model even
on the same data), by relative path and content, in a fixed order: the same inputs always give
the same hash, on any machine.
"""
from __future__ import annotations

import hashlib
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional, Tuple

TRAINING_FILES = ("config.yml", "domain.yml")
TRAINING_DIR = "data"
# The packages config.yml's own components and policies live in (and the modules they use).
TRAINING_CODE = ("bot/nlu", "bot/risk", "bot/dialogue")


@dataclass(frozen=True)
class DataVersion:
    git_commit: Optional[str]
    git_dirty: bool
    inputs_sha256: str


def training_inputs(root: Path, data_dir: Optional[Path] = None) -> Iterator[Tuple[str, Path]]:
    """(name as in the project, file): config.yml and domain.yml, every file under data/, then the
    components' source files."""
    for name in TRAINING_FILES:
        if (root / name).is_file():
            yield name, root / name
    data_dir = data_dir or root / TRAINING_DIR
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        yield f"{TRAINING_DIR}/{path.relative_to(data_dir).as_posix()}", path
    for package in TRAINING_CODE:
        for path in sorted((root / package).rglob("*.py")):
            yield path.relative_to(root).as_posix(), path


def inputs_hash(root: Path, data_dir: Optional[Path] = None) -> str:
    digest = hashlib.sha256()
    for name, path in training_inputs(root, data_dir):
        digest.update(name.encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _git(root: Path, *args: str) -> Optional[str]:
    try:
        result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def current(root: Path, data_dir: Optional[Path] = None) -> DataVersion:
    """The data version of the working tree now; dirty when a training input differs from HEAD
    (always, when the data came from another folder than the project's data/)."""
    changes = _git(root, "status", "--porcelain", "--", *TRAINING_FILES, TRAINING_DIR, *TRAINING_CODE)
    elsewhere = data_dir is not None and data_dir.resolve() != (root / TRAINING_DIR).resolve()
    return DataVersion(git_commit=_git(root, "rev-parse", "HEAD"), git_dirty=bool(changes) or elsewhere,
                       inputs_sha256=inputs_hash(root, data_dir))
