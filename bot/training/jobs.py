"""Validate, train and evaluate from the dashboard: one background job at a time, with its output.

Each job is a shell command run in its own process group from the project root, its output in
`<jobs dir>/<id>.log` and, when it ends, its exit status in `<id>.rc`, written by the shell itself,
so a job's outcome survives a dashboard restart. The page shows the end of the log while it runs
(Rasa prints each training epoch), which is the progress a trainer sees.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

from bot.config import Settings

TAIL_BYTES = 4000


def commands(settings: Settings) -> Dict[str, str]:
    """What each button runs: the same steps as `make validate`, `python -m bot model train` and
    `make evaluate` (the evaluation report included)."""
    python = shlex.quote(sys.executable)
    rasa = shlex.quote(str(Path(sys.executable).with_name("rasa")))
    return {
        "validate": f"{rasa} data validate --config config.yml --domain domain.yml --data data "
                    f"--fail-on-warnings && {python} -m bot check-content && {python} -m bot.training.phrase_check",
        "train": f"{python} -m bot model train",
        "evaluate": f"{python} -m bot evaluate && {python} -m bot model report",
    }


@dataclass(frozen=True)
class Job:
    job_id: str
    kind: str
    started_at: str
    pid: int
    returncode: Optional[int]
    log_tail: str

    @property
    def running(self) -> bool:
        return self.returncode is None and _alive(self.pid)

    @property
    def state(self) -> str:
        if self.returncode is not None:
            return "succeeded" if self.returncode == 0 else f"failed (exit {self.returncode})"
        return "running" if _alive(self.pid) else "ended without a status (interrupted)"


class JobBusy(RuntimeError):
    """Another job is still running."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A finished child of this process stays a zombie until reaped; reap it if it is ours.
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True


class JobRunner:
    def __init__(self, folder: Path, known: Dict[str, str], cwd: Path) -> None:
        self.folder, self.known, self.cwd = Path(folder), known, Path(cwd)

    def start(self, kind: str, now: Optional[dt.datetime] = None) -> Job:
        if kind not in self.known:
            raise LookupError(f"no job {kind!r}")
        if any(job.running for job in self.recent()):
            raise JobBusy("another job is still running; wait for it to finish")
        self.folder.mkdir(parents=True, exist_ok=True)
        now = now or dt.datetime.now(dt.timezone.utc)
        job_id = f"{now:%Y%m%dT%H%M%S%f}-{kind}"
        rc = shlex.quote(str(self.folder / f"{job_id}.rc"))
        with open(self.folder / f"{job_id}.log", "wb") as log:
            process = subprocess.Popen(["bash", "-c", f"( {self.known[kind]} ); echo $? > {rc}"],
                                       cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
        (self.folder / f"{job_id}.json").write_text(json.dumps(
            {"job_id": job_id, "kind": kind, "started_at": now.isoformat(), "pid": process.pid}))
        return self.get(job_id)

    def get(self, job_id: str) -> Job:
        meta_file = self.folder / f"{job_id}.json"
        if "/" in job_id or not meta_file.is_file():
            raise LookupError(f"no job {job_id!r}")
        meta = json.loads(meta_file.read_text())
        rc_file = self.folder / f"{job_id}.rc"
        rc_text = rc_file.read_text().strip() if rc_file.is_file() else ""
        return Job(meta["job_id"], meta["kind"], meta["started_at"], meta["pid"],
                   int(rc_text) if rc_text else None, self._tail(self.folder / f"{job_id}.log"))

    def recent(self, limit: int = 10) -> List[Job]:
        """Newest first."""
        if not self.folder.is_dir():
            return []
        names = sorted((p.stem for p in self.folder.glob("*.json")), reverse=True)[:limit]
        return [self.get(name) for name in names]

    @staticmethod
    def _tail(path: Path) -> str:
        if not path.is_file():
            return ""
        with open(path, "rb") as handle:
            handle.seek(max(0, path.stat().st_size - TAIL_BYTES))
            return handle.read().decode("utf-8", "replace")
