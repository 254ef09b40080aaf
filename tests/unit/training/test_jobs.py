"""Background jobs run real commands, keep their output and exit status, one at a time."""
from __future__ import annotations

import sys
import time

import pytest

from bot.config import PROJECT_ROOT, load_settings
from bot.training.jobs import JobBusy, JobRunner, commands

PY = sys.executable


def wait(runner, job_id, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = runner.get(job_id)
        if job.returncode is not None:
            return job
        time.sleep(0.05)
    raise AssertionError("the job did not finish")


def test_a_job_keeps_its_output_and_exit_status(tmp_path):
    runner = JobRunner(tmp_path / "jobs", {"ok": f"{PY} -c 'print(\"epoch 1/2\")' && echo done",
                                           "bad": f"{PY} -c 'import sys; sys.exit(3)'"}, tmp_path)
    ok = wait(runner, runner.start("ok").job_id)
    assert ok.state == "succeeded" and "epoch 1/2\ndone" in ok.log_tail
    bad = wait(runner, runner.start("bad").job_id)
    assert bad.state == "failed (exit 3)"
    assert [j.kind for j in runner.recent()] == ["bad", "ok"]


def test_only_one_job_runs_at_a_time(tmp_path):
    runner = JobRunner(tmp_path, {"slow": "sleep 2", "fast": "true"}, tmp_path)
    slow = runner.start("slow")
    assert slow.running and slow.state == "running"
    with pytest.raises(JobBusy):
        runner.start("fast")
    wait(runner, slow.job_id)
    assert wait(runner, runner.start("fast").job_id).state == "succeeded"


def test_unknown_jobs_are_refused(tmp_path):
    with pytest.raises(LookupError):
        JobRunner(tmp_path, {}, tmp_path).start("rm -rf")
    with pytest.raises(LookupError):
        JobRunner(tmp_path, {}, tmp_path).get("../x")


def test_the_buttons_run_the_same_steps_as_the_make_targets():
    known = commands(load_settings({}))
    assert set(known) == {"validate", "train", "evaluate"}
    validate = "data validate --config config.yml --domain domain.yml --data data --fail-on-warnings"
    assert validate in known["validate"] and validate in (PROJECT_ROOT / "Makefile").read_text()
    assert known["validate"].endswith("-m bot check-content && " + PY + " -m bot.training.phrase_check")
    assert known["train"].endswith("-m bot model train")
    assert known["evaluate"].endswith("-m bot evaluate && " + PY + " -m bot model report")
