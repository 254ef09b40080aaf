"""What a model was trained from: the git commit and a hash of the training inputs.

The commit alone is not enough (trainers label into a working tree before committing), so the
hash covers config.yml, domain.yml and every file under data/, by relative path and content, in
a fixed order: the same inputs always give the same hash, on any machine.
"""
from __future__ import annotations

import hashlib
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

TRAINING_FILES = ("config.yml", "domain.yml")
TRAINING_DIRS = ("data",)


@dataclass(frozen=True)
class DataVersion:
    git_commit: Optional[str]
    git_dirty: bool
    inputs_sha256: str


def training_inputs(root: Path) -> Iterator[Path]:
    for name in TRAINING_FILES:
        if (root / name).is_file():
            yield root / name
    for folder in TRAINING_DIRS:
        yield from sorted(p for p in (root / folder).rglob("*") if p.is_file())


def inputs_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in training_inputs(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _git(root: Path, *args: str) -> Optional[str]:
    try:
        result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def current(root: Path) -> DataVersion:
    """The data version of the working tree now; dirty when a training input differs from HEAD."""
    changes = _git(root, "status", "--porcelain", "--", *TRAINING_FILES, *TRAINING_DIRS)
    return DataVersion(git_commit=_git(root, "rev-parse", "HEAD"), git_dirty=bool(changes),
                       inputs_sha256=inputs_hash(root))
