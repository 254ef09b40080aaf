"""`python -m bot model train --if-stale --promote` and `make train` (the project's Makefile rule
that runs it), on a small project of its own: the model trained from the current inputs goes live only through the promotion gate, a
refused model leaves the live one serving and prints the override command, inputs the registry
has trained from before are not trained again, and with no live model a refused first model is
not put in service in production, so `python -m bot run` refuses to start and says why, while a
development clone serves it over the gate, loudly and audited. make runs the command
only when a training input is newer than the candidate file it leaves, and goes on after a refusal.

The registry is seeded with the model "trained" from the project's inputs (its archive is a few
bytes and its figures are written out), so the command, the registry lookup, the gate, the files
and the audit are real and no Rasa training runs; a real training is in test_model_promotion.py.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import List, Optional

import sqlalchemy as sa

from bot.config import PROJECT_ROOT, load_settings
from bot.training import refresh
from bot.training.promotion import BOOTSTRAP_REASON
from bot.training.data_version import DataVersion, inputs_hash
from bot.training.figures import Figures
from bot.training.registry import Entry, Registry
from tests.conftest import free_port
from tests.unit.training.helpers import figures

MAKEFILE = PROJECT_ROOT / "Makefile"
LIVE_BYTES, CANDIDATE_BYTES = b"the live model", b"the model trained from these inputs"


class Project:
    """A project root with training inputs, the registry and live model under models/, and its
    own SQLite database; `make` runs the project's Makefile there."""

    def __init__(self, tmp_path: Path, **extra_env: str) -> None:
        self.root = tmp_path / "project"
        (self.root / "data").mkdir(parents=True)
        (self.root / "config.yml").write_text("recipe: default.v1\n")
        (self.root / "domain.yml").write_text("version: '3.1'\n")
        (self.root / "data" / "nlu.yml").write_text("version: '3.1'\nnlu: []\n")
        (self.root / "pyproject.toml").write_text("")
        self.installed = self.root / ".installed"  # the venv stamp: this test uses the project's venv
        self.installed.write_text("")
        self.registry = Registry(self.root / "models" / "registry")
        self.live = self.root / "models" / "current.tar.gz"
        self.candidate_file = self.root / "models" / "candidate.tar.gz"
        keep = {k: v for k, v in os.environ.items()
                if not k.startswith(("MAKE", "MFLAGS", "BOT_", "DATABASE_URL", "TRACKER_STORE_URL",
                                     "MODEL_REGISTRY_DIR", "RASA_"))}
        self.env = {**keep, "BOT_PROJECT_ROOT": str(self.root), "BOT_VAR_DIR": str(self.root / "var"),
                    "RASA_PORT": str(free_port()), **extra_env}
        self.settings = load_settings(self.env)

    def seed(self, candidate: Figures, live: Optional[Figures] = None) -> Entry:
        """The live model (registered), and the model trained from the inputs as they are now."""
        if live is not None:
            self.live.parent.mkdir(parents=True, exist_ok=True)
            self.live.write_bytes(LIVE_BYTES)
            self.registry.add(self.live, live, DataVersion(None, False, "1" * 64), "live model")
        trained = self.root / "trained.tar.gz"
        trained.write_bytes(CANDIDATE_BYTES)
        version = DataVersion(None, True, inputs_hash(self.root))
        return self.registry.add(trained, candidate, version, "trained with config.yml")

    def train(self) -> subprocess.CompletedProcess:
        """The command `make train` runs, with its exit status."""
        return subprocess.run([sys.executable, "-m", "bot", "model", "train", "--if-stale", "--promote",
                               "--candidate-file", str(self.candidate_file)], cwd=self.root,
                              env=self.env, capture_output=True, text=True, timeout=300)

    def make(self, *targets: str) -> subprocess.CompletedProcess:
        return subprocess.run(["make", "--no-print-directory", "-f", str(MAKEFILE), "-C", str(self.root), *targets,
                               f"PY={sys.executable}", f"INSTALLED={self.installed}"],
                              env=self.env, capture_output=True, text=True, timeout=300)

    def refusals(self) -> int:
        return self.audit_actions().count("model_promotion_refused")

    def audit_actions(self) -> List[str]:
        engine = sa.create_engine(self.settings.database_url, future=True)
        try:
            with engine.connect() as conn:
                return list(conn.execute(sa.text("SELECT action FROM audit_log ORDER BY id")).scalars())
        finally:
            engine.dispose()


def test_a_refused_retrain_leaves_the_live_model_serving_and_is_not_retrained_again(tmp_path):
    project = Project(tmp_path)
    candidate = project.seed(candidate=figures(self_harm=0.90), live=figures(self_harm=0.95))

    first = project.train()
    output = first.stdout + first.stderr
    assert first.returncode == 3, output
    assert "already in the registry (not retrained)" in output
    assert "NOT PROMOTED" in output and "self_harm recall 0.900 is below the live model's 0.950" in output
    assert f"python -m bot model promote {candidate.model_id} --override-reason" in output
    assert project.live.read_bytes() == LIVE_BYTES
    assert project.candidate_file.read_bytes() == CANDIDATE_BYTES
    assert project.refusals() == 1
    again = project.train()
    assert again.returncode == 3 and "already in the registry (not retrained)" in again.stderr
    assert len(project.registry.entries()) == 2

    warning = refresh.not_in_service(project.settings, project.root / "config.yml")
    assert warning.candidate.model_id == candidate.model_id
    assert warning.failures == ["self_harm recall 0.900 is below the live model's 0.950"]


def test_a_retrain_that_passes_the_gate_goes_live(tmp_path):
    project = Project(tmp_path)
    candidate = project.seed(candidate=figures(self_harm=0.95), live=figures(self_harm=0.90))
    done = project.train()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "passed the promotion gate and is now live: no Rasa server is running" in done.stdout
    assert project.live.read_bytes() == CANDIDATE_BYTES
    assert project.registry.state()["live"][-1] == candidate.model_id
    assert refresh.not_in_service(project.settings, project.root / "config.yml") is None


def test_a_production_install_whose_first_model_fails_the_emergency_rule_serves_nothing_and_says_why(tmp_path):
    project = Project(tmp_path, BOT_ENV="production")
    candidate = project.seed(candidate=figures(emergency=0.93))
    done = project.train()
    output = done.stdout + done.stderr
    assert done.returncode == 3, output
    assert "emergency recall 0.930 is below 1.00" in output and "No model is in service" in output
    assert not project.live.exists() and project.candidate_file.read_bytes() == CANDIDATE_BYTES

    run = subprocess.run([sys.executable, "-m", "bot", "run"], env=project.env, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 1
    assert "No model to serve" in run.stderr and "emergency recall 0.930 is below 1.00" in run.stderr
    assert f"python -m bot model promote {candidate.model_id} --override-reason" in run.stderr


def test_a_development_clone_serves_its_first_model_over_the_gate_loudly_and_audited(tmp_path):
    project = Project(tmp_path)
    candidate = project.seed(candidate=figures(emergency=0.93))
    done = project.train()
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "LIVE WITHOUT PASSING THE PROMOTION GATE" in output and "emergency recall 0.930 is below 1.00" in output
    assert project.live.read_bytes() == CANDIDATE_BYTES
    event = project.registry.state()["events"][-1]
    assert event["model_id"] == candidate.model_id and event["override_reason"] == BOOTSTRAP_REASON
    assert project.audit_actions() == ["model_promotion_refused", "model_promoted_over_gate"]

    from bot.supervisor import model_in_service_or_exit
    warning = "\n".join(model_in_service_or_exit(project.settings))
    assert f"the model in service ({candidate.model_id}) did not pass the promotion gate" in warning
    assert "emergency recall 0.930 is below 1.00" in warning


def test_a_model_rolled_back_by_hand_is_not_promoted_again_by_the_next_make_train(tmp_path):
    project = Project(tmp_path)
    candidate = project.seed(candidate=figures(self_harm=0.95), live=figures(self_harm=0.90))
    assert project.train().returncode == 0 and project.live.read_bytes() == CANDIDATE_BYTES
    back = subprocess.run([sys.executable, "-m", "bot", "model", "rollback"], env=project.env,
                          capture_output=True, text=True, timeout=120)
    assert back.returncode == 0, back.stderr
    again = project.train()
    assert again.returncode == 3 and "rolled back at" in again.stderr
    assert project.live.read_bytes() == LIVE_BYTES
    assert f"python -m bot model promote {candidate.model_id} --override-reason" in again.stderr


def test_make_train_goes_on_after_a_refusal_and_asks_again_only_when_an_input_changes(tmp_path):
    project = Project(tmp_path)
    project.seed(candidate=figures(self_harm=0.90), live=figures(self_harm=0.95))
    first = project.make("train")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "NOT PROMOTED" in first.stderr and "The live model" in first.stderr
    assert project.live.read_bytes() == LIVE_BYTES and project.candidate_file.read_bytes() == CANDIDATE_BYTES

    again = project.make("train")
    assert again.returncode == 0 and "Nothing to be done for 'train'" in again.stdout
    assert "model train" not in again.stdout + again.stderr

    os.utime(project.root / "data" / "nlu.yml")  # newer, same content: make asks, the registry knows
    touched = project.make("train")
    assert touched.returncode == 0 and "already in the registry (not retrained)" in touched.stderr
    assert len(project.registry.entries()) == 2 and project.refusals() == 2


def test_make_train_asks_again_when_an_input_file_is_deleted(tmp_path):
    """make sees only inputs newer than the model; a deleted one changes the inputs' list instead."""
    project = Project(tmp_path)
    extra = project.root / "data" / "extra.yml"
    extra.write_text("version: '3.1'\nnlu: []\n")
    project.seed(candidate=figures(self_harm=0.90), live=figures(self_harm=0.95))
    assert project.make("train").returncode == 0

    extra.unlink()
    retrained = project.root / "retrained.tar.gz"  # the model the inputs without extra.yml train
    retrained.write_bytes(b"the model trained without extra.yml")
    project.registry.add(retrained, figures(self_harm=0.90), DataVersion(None, True, inputs_hash(project.root)),
                         "trained with config.yml")
    after = project.make("train")
    assert after.returncode == 0, after.stdout + after.stderr
    assert "already in the registry (not retrained)" in after.stderr
