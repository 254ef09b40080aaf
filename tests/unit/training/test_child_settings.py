"""A child the trainers' services start (`rasa train`, `python -m bot model register`) uses the
folders of the settings it was started with, even where the process environment names others."""
from __future__ import annotations

import os
import subprocess

import pytest

from bot.config import PROJECT_ROOT, load_settings
from bot.training import services


@pytest.fixture
def children(monkeypatch, tmp_path):
    """The environment each child would get; no child is started. The process environment names
    other folders than the settings do, as the dashboard's or a test's settings may."""
    for name in ("BOT_VAR_DIR", "MODEL_REGISTRY_DIR"):
        monkeypatch.setenv(name, str(tmp_path / "from-the-process-environment"))
    started = []

    def run(command, **kwargs):
        started.append(kwargs["env"])
        return subprocess.CompletedProcess(command, 1, "", "not started")

    monkeypatch.setattr(services.subprocess, "run", run)
    return started


def _settings(tmp_path):
    return load_settings({"BOT_PROJECT_ROOT": str(PROJECT_ROOT), "BOT_VAR_DIR": str(tmp_path / "var"),
                          "MODEL_REGISTRY_DIR": str(tmp_path / "registry")})


def _uses_the_settings_folders(env, tmp_path) -> None:
    assert env["BOT_PROJECT_ROOT"] == str(PROJECT_ROOT)
    assert env["BOT_VAR_DIR"] == str(tmp_path / "var")
    assert env["MODEL_REGISTRY_DIR"] == str(tmp_path / "registry")
    assert env["PATH"] == os.environ["PATH"]


def test_training_keeps_its_embeddings_under_the_settings_var_dir_not_the_environments(
        children, tmp_path, monkeypatch):
    monkeypatch.setattr(services, "register_model", lambda *args, **kwargs: None)
    services.train_model(_settings(tmp_path), PROJECT_ROOT / "config.yml")
    [env] = children
    _uses_the_settings_folders(env, tmp_path)


def test_the_dashboards_measuring_child_registers_into_the_settings_registry(children, tmp_path):
    model = tmp_path / "current.tar.gz"
    model.write_bytes(b"a model the registry has not seen")
    with pytest.raises(services.MeasureError):
        services.dashboard_promoter(_settings(tmp_path)).measure(model)
    [env] = children
    _uses_the_settings_folders(env, tmp_path)
