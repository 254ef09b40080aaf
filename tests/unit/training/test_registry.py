"""The registry keeps every model with its figures and data version; data versions are stable."""
from __future__ import annotations

import datetime as dt
import shutil
import subprocess

from bot.config import PROJECT_ROOT
from bot.training import data_version
from bot.training.registry import Registry
from tests.unit.training.helpers import figures

VERSION = data_version.DataVersion(git_commit="abc123", git_dirty=False, inputs_sha256="f" * 64)


def test_a_registered_model_is_kept_with_its_figures_and_data_version(tmp_path):
    model = tmp_path / "candidate.tar.gz"
    model.write_bytes(b"model one")
    entry = Registry(tmp_path / "registry").add(model, figures(unsafe_sleep=0.9), VERSION, "trained",
                                                now=dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.timezone.utc))
    model.unlink()
    reread = Registry(tmp_path / "registry").get(entry.model_id)
    assert reread == entry
    assert entry.model_id.startswith("20261126T030000-")
    assert reread.figures.recall("unsafe_sleep") == 0.9
    assert reread.data_version.git_commit == "abc123"
    assert Registry(tmp_path / "registry").archive(entry.model_id).read_bytes() == b"model one"


def test_the_same_archive_registered_twice_is_one_entry_and_entries_are_oldest_first(tmp_path):
    registry = Registry(tmp_path)
    first, second = tmp_path / "a.tar.gz", tmp_path / "b.tar.gz"
    first.write_bytes(b"one")
    second.write_bytes(b"two")
    at = dt.datetime(2026, 11, 26, tzinfo=dt.timezone.utc)
    a = registry.add(first, figures(), VERSION, "x", now=at)
    b = registry.add(second, figures(), VERSION, "x", now=at + dt.timedelta(seconds=1))
    assert registry.add(first, figures(), VERSION, "x", now=at + dt.timedelta(seconds=2)) == a
    assert [e.model_id for e in registry.entries()] == [a.model_id, b.model_id]
    assert registry.newest() == b


def test_an_unknown_or_path_like_model_id_is_not_found(tmp_path):
    registry = Registry(tmp_path)
    for wanted in ("nope", "../state"):
        try:
            registry.get(wanted)
        except LookupError:
            continue
        raise AssertionError(f"{wanted} was found")


def _project(root):
    (root / "data" / "nlu").mkdir(parents=True)
    (root / "config.yml").write_text("pipeline: []\n")
    (root / "domain.yml").write_text("version: '3.1'\n")
    (root / "data" / "nlu" / "greet.yml").write_text("nlu: []\n")
    (root / "README.md").write_text("not a training input\n")


def test_the_data_hash_changes_with_training_data_and_only_with_it(tmp_path):
    _project(tmp_path)
    before = data_version.inputs_hash(tmp_path)
    (tmp_path / "README.md").write_text("edited\n")
    assert data_version.inputs_hash(tmp_path) == before
    (tmp_path / "data" / "nlu" / "greet.yml").write_text("nlu: [] # edited\n")
    changed = data_version.inputs_hash(tmp_path)
    assert changed != before
    (tmp_path / "data" / "nlu" / "greet.yml").rename(tmp_path / "data" / "nlu" / "hello.yml")
    assert data_version.inputs_hash(tmp_path) not in (before, changed)


def test_the_hash_changes_with_the_source_of_the_projects_own_components(tmp_path):
    """The registry reuses a model trained from the same inputs: a changed classifier is not one."""
    _project(tmp_path)
    (tmp_path / "bot" / "nlu").mkdir(parents=True)
    classifier = tmp_path / "bot" / "nlu" / "classifier.py"
    classifier.write_text("WEIGHT = 1\n")
    before = data_version.inputs_hash(tmp_path)
    classifier.write_text("WEIGHT = 2\n")
    assert data_version.inputs_hash(tmp_path) != before
    (tmp_path / "bot" / "nlu" / "notes.txt").write_text("not source\n")
    (tmp_path / "bot" / "cli.py").write_text("# outside the components' packages\n")
    classifier.write_text("WEIGHT = 1\n")
    assert data_version.inputs_hash(tmp_path) == before


def test_make_watches_exactly_the_files_the_data_hash_covers(tmp_path):
    """make retrains when one of its inputs changes, the registry when the hash does: a file only
    one of them sees (a word list under data/, a component's module) would leave a stale model
    serving, or retrain for nothing."""
    shutil.copy(PROJECT_ROOT / "Makefile", tmp_path / "Makefile")
    for name in ("config.yml", "domain.yml", "data/nlu/sleep.yml", "data/risk/british_words.txt",
                 *(f"{package}/module.py" for package in data_version.TRAINING_CODE),
                 "bot/nlu/notes.txt", "bot/cli.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x\n")
    subprocess.run(["make", "-n", "help"], cwd=tmp_path, check=True, capture_output=True)
    watched = (tmp_path / "var" / "training-inputs.list").read_text().split()
    assert sorted(watched) == sorted(name for name, _ in data_version.training_inputs(tmp_path))


def test_the_data_version_outside_git_has_no_commit(tmp_path):
    _project(tmp_path)
    version = data_version.current(tmp_path)
    assert version.git_commit is None
    assert version.inputs_sha256 == data_version.inputs_hash(tmp_path)


def test_data_from_another_folder_is_hashed_like_the_project_data_and_marked_dirty(tmp_path):
    _project(tmp_path)
    copy = tmp_path / "elsewhere"
    import shutil

    shutil.copytree(tmp_path / "data", copy)
    assert data_version.inputs_hash(tmp_path, copy) == data_version.inputs_hash(tmp_path)
    assert data_version.current(tmp_path, copy).git_dirty


def test_an_archive_is_read_for_its_hash_once_until_it_is_replaced(tmp_path, monkeypatch):
    import builtins
    import hashlib

    from bot.training.registry import file_sha256

    archive = tmp_path / "current.tar.gz"
    archive.write_bytes(b"model one")
    reads = []
    real_open = builtins.open
    monkeypatch.setattr(builtins, "open", lambda path, *a, **k: reads.append(path) or real_open(path, *a, **k))
    assert file_sha256(archive) == file_sha256(archive) == hashlib.sha256(b"model one").hexdigest()
    assert len(reads) == 1
    replacement = tmp_path / "new.tar.gz"
    replacement.write_bytes(b"model two, a different size")
    replacement.rename(archive)  # how a model goes live: written whole, renamed into place
    assert file_sha256(archive) == hashlib.sha256(b"model two, a different size").hexdigest()
