"""The trainers' pages through the real forms: registry list, reports, promotion through the gate,
the admin-only override, rollback, and their audit rows."""
from __future__ import annotations

import datetime as dt
import os
import signal
import time

import sqlalchemy as sa

from bot.db.staff import AuditEntry
from bot.training.data_version import DataVersion, inputs_hash
from bot.training.jobs import JobRunner
from bot.training.registry import Registry
from bot.training.services import trained_source
from tests.dashboard.helpers import sign_in
from tests.unit.training.helpers import figures
from tests.unit.training.test_report import write_reports

VERSION = DataVersion(git_commit="abc123", git_dirty=True, inputs_sha256="0" * 64)


def register(settings, content: bytes, minute: int, model_figures):
    model = settings.var_dir / f"m{minute}.tar.gz"
    model.parent.mkdir(parents=True, exist_ok=True)
    model.write_bytes(content)
    return Registry(settings.model_registry_dir).add(
        model, model_figures, VERSION, "trained",
        now=dt.datetime(2026, 11, 26, 3, minute, tzinfo=dt.timezone.utc))


def put_live(settings, content: bytes) -> None:
    settings.model_path.parent.mkdir(parents=True, exist_ok=True)
    settings.model_path.write_bytes(content)


def audit_rows(sessions):
    with sessions() as session:
        rows = session.execute(sa.select(AuditEntry).where(AuditEntry.action.like("model_%"))
                               .order_by(AuditEntry.id)).scalars()
        return [(r.action, r.staff_email, r.ip) for r in rows]


def test_a_trainer_promotes_a_better_model_is_refused_a_worse_one_and_rolls_back(app, settings, staff, sessions):
    put_live(settings, b"live")
    live = register(settings, b"live", 0, figures(macro_f1=0.92, self_harm=0.95))
    better = register(settings, b"better", 1, figures(macro_f1=0.93, self_harm=0.97))
    worse = register(settings, b"worse", 2, figures(macro_f1=0.95, self_harm=0.90))
    trainer = sign_in(app.test_client(), "trainer@example.nhs.uk")
    assert trainer.client.get("/", follow_redirects=False).headers["Location"].endswith("/training")
    page = trainer.client.get("/training").text
    assert f"{live.model_id}</a>\n        <strong>(live)</strong>" in page
    assert "uncommitted changes" in page and "Override reason" not in page

    report = trainer.client.get(f"/training/models/{worse.model_id}").text
    assert "Would be refused" in report and "self_harm recall 0.900 is below the live model&#39;s 0.950" in report

    refused = trainer.post(f"/training/models/{worse.model_id}/promote", {})
    assert refused.status_code == 409 and "did not pass the promotion gate" in refused.text
    forged = trainer.post(f"/training/models/{worse.model_id}/promote", {"override_reason": "trust me"})
    assert forged.status_code == 409 and "only an admin may override" in forged.text
    assert settings.model_path.read_bytes() == b"live"

    done = trainer.post(f"/training/models/{better.model_id}/promote", {})
    assert done.status_code == 302 and done.headers["Location"].endswith("done=saved")
    assert settings.model_path.read_bytes() == b"better"
    assert "The model is live; the bot was not running" in trainer.client.get(done.headers["Location"]).text

    assert trainer.post("/training/rollback", {}).status_code == 302
    assert settings.model_path.read_bytes() == b"live"
    assert audit_rows(sessions) == [
        ("model_promotion_refused", "trainer@example.nhs.uk", "127.0.0.1"),
        ("model_promoted", "trainer@example.nhs.uk", "127.0.0.1"),
        ("model_rolled_back", "trainer@example.nhs.uk", "127.0.0.1"),
    ]


def test_an_admin_overrides_the_gate_with_a_reason_shown_in_the_history(app, settings, staff, sessions):
    put_live(settings, b"live")
    register(settings, b"live", 0, figures(self_harm=0.95))
    worse = register(settings, b"worse", 1, figures(self_harm=0.90))
    admin = sign_in(app.test_client(), "admin@example.nhs.uk")
    assert "Override reason" in admin.client.get("/training").text
    done = admin.post(f"/training/models/{worse.model_id}/promote",
                      {"override_reason": "Live model answers <every> question with fallback"})
    assert done.status_code == 302
    page = admin.client.get("/training").text
    assert "gate overridden: Live model answers &lt;every&gt; question with fallback" in page
    assert audit_rows(sessions) == [("model_promoted_over_gate", "admin@example.nhs.uk", "127.0.0.1")]


def test_the_evaluation_page_shows_the_last_make_evaluate_report(app, settings, staff):
    trainer = sign_in(app.test_client(), "trainer@example.nhs.uk")
    assert "No evaluation yet" in trainer.client.get("/training/evaluation").text
    write_reports(settings.var_dir / "reports")
    page = trainer.client.get("/training/evaluation").text
    assert "<svg" in page and "Misclassified messages (1)" in page and "False alarms: 0.500" in page


def test_a_trainer_starts_validation_from_the_dashboard_and_sees_it_run(app, settings, staff, sessions):
    trainer = sign_in(app.test_client(), "trainer@example.nhs.uk")
    assert "No jobs yet." in trainer.client.get("/training/jobs").text
    started = trainer.post("/training/jobs/validate", {})
    assert started.status_code == 302
    [job] = JobRunner(settings.var_dir / "jobs", {}, settings.project_root).recent()
    try:
        page = trainer.client.get("/training/jobs").text
        assert "Validate the data: running" in page and 'http-equiv="refresh"' in page
        busy = trainer.post("/training/jobs/train", {})
        assert busy.status_code == 409 and "another job is still running" in busy.text
    finally:
        os.killpg(job.pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while JobRunner(settings.var_dir / "jobs", {}, settings.project_root).get(job.job_id).running:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    page = trainer.client.get("/training/jobs").text
    assert "Validate the data: ended without a status (interrupted)" in page and 'http-equiv="refresh"' not in page
    with sessions() as session:
        assert session.execute(sa.select(AuditEntry.detail).where(AuditEntry.action == "job_started")
                               ).scalars().all() == ["validate"]


def test_a_live_model_that_cannot_be_measured_blocks_promotion_with_the_reason(app, settings, staff):
    """The dashboard measures an unregistered live model in a child process (`model register`);
    here the live file is not a model, so the promotion stops and says why."""
    put_live(settings, b"not a model")
    candidate = register(settings, b"candidate", 1, figures())
    trainer = sign_in(app.test_client(), "trainer@example.nhs.uk")
    refused = trainer.post(f"/training/models/{candidate.model_id}/promote", {})
    assert refused.status_code == 409 and "could not measure the model in service" in refused.text
    assert settings.model_path.read_bytes() == b"not a model"


def test_the_models_page_says_when_the_model_trained_from_the_current_data_is_not_live(app, settings, staff):
    put_live(settings, b"live")
    register(settings, b"live", 0, figures(self_harm=0.95))
    trained = Registry(settings.model_registry_dir).add(
        _file(settings, b"trained from the current data"), figures(self_harm=0.90),
        DataVersion(None, True, inputs_hash(settings.project_root)), trained_source(settings.project_root / "config.yml"))
    trainer = sign_in(app.test_client(), "trainer@example.nhs.uk")
    page = trainer.client.get("/training").text
    assert f"The model trained from the current data\n  (<a href=\"/training/models/{trained.model_id}\">" in page
    assert "is not live: self_harm recall 0.900 is below the live model&#39;s 0.950." in page


def _file(settings, content: bytes):
    path = settings.var_dir / "trained.tar.gz"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path
