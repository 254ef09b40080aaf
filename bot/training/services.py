"""The registry and the promoter built from the settings, for the command line and the dashboard."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from functools import partial
from pathlib import Path
from typing import Dict, Optional

from bot.config import Settings
from bot.db.session import session_factory
from bot.training import data_version, figures, report
from bot.training.promotion import Promoter, PromotionError
from bot.training.rasa_models import RasaModels
from bot.training.registry import Entry, Registry, file_sha256


class MeasureError(PromotionError):
    """The model in service could not be measured, so nothing can be compared with it."""


def registry(settings: Settings) -> Registry:
    return Registry(settings.model_registry_dir)


def promoter(settings: Settings) -> Promoter:
    return Promoter(registry(settings), settings.model_path,
                    RasaModels(settings.rasa_replica_urls, settings.rasa_token),
                    session_factory(settings.database_url),
                    measure=partial(figures.measure, settings),
                    data_version=partial(data_version.current, settings.project_root))


def dashboard_promoter(settings: Settings) -> Promoter:
    """The promoter for the dashboard: a live model the registry has not seen is measured by
    `python -m bot model register` in a child process, so the dashboard never loads Rasa and a
    model (hundreds of MB) into its own memory."""
    made = promoter(settings)
    made.measure = partial(_measure_in_child, settings)
    return made


def _child_environment(settings: Settings) -> Dict[str, str]:
    """The environment of a child this module starts (`rasa train`, `python -m bot model register`).

    The child reads its settings from its environment, and `settings` need not be this process's
    (the dashboard's, or a test's built from a dict), so the folders the child uses are set from
    them: the project, the registry, and var/ (where training keeps its embeddings). The rest is
    this process's environment, which the child needs to run at all (PATH, HOME, and what the
    Makefile exports, such as RASA_TELEMETRY_ENABLED=false)."""
    return {**os.environ, "BOT_PROJECT_ROOT": str(settings.project_root),
            "BOT_VAR_DIR": str(settings.var_dir), "MODEL_REGISTRY_DIR": str(settings.model_registry_dir)}


def _measure_in_child(settings: Settings, model_file: Path) -> figures.Figures:
    done = subprocess.run([sys.executable, "-m", "bot", "model", "register", str(model_file)],
                          cwd=settings.project_root, env=_child_environment(settings),
                          capture_output=True, text=True)
    entry = registry(settings).find_by_sha256(file_sha256(model_file))
    if done.returncode != 0 or entry is None:
        last_line = ((done.stderr or done.stdout).strip().splitlines() or ["no output"])[-1]
        raise MeasureError(f"could not measure the model in service ({model_file.name}): {last_line}")
    return entry.figures


def trained_source(config: Path) -> str:
    """How the registry records a model this project trained: which pipeline config it used."""
    return f"trained with {config.name}"


def train_model(settings: Settings, config: Path, data_dir: Optional[Path] = None) -> Entry:
    """Train from the working tree (or another copy of data/) into a scratch folder and register
    the result; the live model is untouched until it is promoted."""
    from bot.supervisor import rasa_executable

    root = settings.project_root
    with tempfile.TemporaryDirectory(prefix="candidate-") as out:
        subprocess.run([rasa_executable(), "train", "--config", str(config), "--domain",
                        str(root / "domain.yml"), "--data", str(data_dir or root / "data"), "--out", out,
                        "--fixed-model-name", "candidate"], cwd=root, env=_child_environment(settings),
                       check=True)
        return register_model(settings, Path(out) / "candidate.tar.gz", source=trained_source(config),
                              data_dir=data_dir)


def register_model(settings: Settings, model_file: Path, source: str,
                   data_dir: Optional[Path] = None) -> Entry:
    """Measure a trained model and keep it with its figures and the data version it came from."""
    version = data_version.current(settings.project_root, data_dir)
    return registry(settings).add(model_file, figures.measure(settings, model_file), version, source)


def in_service(settings: Settings) -> Optional[Entry]:
    """The model last promoted, else the registry's entry for the live file; None if neither is
    known. Never measures anything, so pages and reports can call it."""
    known = registry(settings)
    history = known.state()["live"]
    if history:
        return known.get(history[-1])
    if settings.model_path.is_file():
        return known.find_by_sha256(file_sha256(settings.model_path))
    return None


def evaluation_subject(settings: Settings) -> report.Subject:
    """The last `make evaluate` (var/reports/), under the name of the model file it measured,
    compared with the model in service if that is a different model."""
    reports = settings.var_dir / "reports"
    measured, named = figures.last_evaluation(reports)
    model_file = named or settings.model_path
    live = in_service(settings)
    title = f"{model_file.name} as of the last make evaluate"
    if live is None or (model_file.is_file() and live.sha256 == file_sha256(model_file)):
        return report.Subject(title, measured)
    return report.Subject(title, measured, f"model {live.model_id} (in service)", live.figures)


def model_subject(settings: Settings, model_id: str) -> report.Subject:
    """A registered model, compared with the model in service unless it is that model."""
    entry = registry(settings).get(model_id)
    live = in_service(settings)
    if live is None or live.model_id == entry.model_id:
        return report.Subject(f"model {entry.model_id}", entry.figures)
    return report.Subject(f"model {entry.model_id}", entry.figures,
                          f"model {live.model_id} (in service)", live.figures)
