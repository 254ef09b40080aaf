"""`make train`: bring the model in service up to date with the working tree, through the gate.

The same path as `python -m bot model train` then `python -m bot model promote`: the model trained
from the current training inputs is kept in the registry with its figures and goes live only if it
passes the promotion gate (bot/training/promotion_gate.py). The registry records the inputs each
model came from, so inputs it has seen before are never trained again, whether their model was
promoted or refused. A refused model leaves the live one serving. With no live model at all (a
fresh clone) there is nothing to compare with, but the emergency rule still applies: in
production nothing is put in service and `make run` says why; elsewhere the first model goes live
over the gate, loudly and audited (`Promoter.bootstrap`), so a newcomer's `make run` starts.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

from bot.config import Settings
from bot.training import data_version, promotion_gate, services
from bot.training.promotion import PromotionRefused
from bot.training.rasa_models import Reload
from bot.training.registry import Entry, copy_atomically, file_sha256


RELOAD_WORDS = {
    Reload.LOADED: "every Rasa server in RASA_REPLICA_URLS serves it now",
    Reload.SOME_RUNNING: "the running Rasa servers in RASA_REPLICA_URLS serve it now; the others will when they start",
    Reload.NOT_RUNNING: "no Rasa server is running; it will serve this model when it starts",
}


@dataclass(frozen=True)
class Refresh:
    candidate: Entry                  # the model trained from the current inputs
    trained: bool                     # False: the registry already had it, nothing was trained
    live_id: Optional[str]            # the model in service afterwards, if any
    failures: List[str] = field(default_factory=list)  # why the candidate is not live
    reload: Optional[Reload] = None   # set when this refresh promoted the candidate

    @property
    def is_live(self) -> bool:
        return self.live_id == self.candidate.model_id


def current_candidate(settings: Settings, config: Path) -> Optional[Entry]:
    """The registered model trained with `config` from the training inputs as they are now."""
    inputs = data_version.inputs_hash(settings.project_root)
    return services.registry(settings).trained_from(inputs, services.trained_source(config))


def refresh(settings: Settings, config: Path, candidate_file: Optional[Path] = None,
            retrain: bool = False) -> Refresh:
    """Train if the registry has no model from these inputs (or `retrain`), then promote it if it
    passes the gate. `candidate_file` gets a copy of the candidate once the decision is made
    (make's target, and the model `make test` tests: testing is not serving)."""
    candidate = None if retrain else current_candidate(settings, config)
    trained = candidate is None
    if candidate is None:
        candidate = services.train_model(settings, config)
    promoter = services.promoter(settings)
    live = promoter.live()
    rolled_back = rolled_back_at(promoter.registry.state(), candidate.model_id)
    if live is not None and live.model_id == candidate.model_id:
        result = Refresh(candidate, trained, live.model_id)
    elif rolled_back:  # someone took it out of service on purpose: never put it back unasked
        result = Refresh(candidate, trained, live.model_id if live else None,
                         [f"it was rolled back at {rolled_back}; promote it by hand to put it back"])
    else:
        try:
            outcome = promoter.promote(candidate.model_id)
            result = Refresh(candidate, trained, outcome.model_id, reload=outcome.reload)
        except PromotionRefused as refused:
            if live is None and settings.bot_env != "production":
                outcome = promoter.bootstrap(candidate.model_id)
                result = Refresh(candidate, trained, outcome.model_id, refused.failures, outcome.reload)
            else:
                result = Refresh(candidate, trained, live.model_id if live else None, refused.failures)
    if candidate_file is not None:
        candidate_file.parent.mkdir(parents=True, exist_ok=True)
        copy_atomically(promoter.registry.archive(candidate.model_id), candidate_file)
    return result


def rolled_back_at(state: dict, model_id: str) -> Optional[str]:
    """When `model_id` was last taken out of service by a rollback, if ever."""
    return next((e["at"] for e in reversed(state["events"])
                 if e["action"] == "rollback" and e["previous_id"] == model_id), None)


def not_in_service(settings: Settings, config: Path) -> Optional[Refresh]:
    """The refused candidate, when the model trained from the current inputs is registered but
    not live (for the warning `make run` prints); None when it is live or was never trained.
    Never trains or measures: it reads the registry and hashes files."""
    candidate = current_candidate(settings, config)
    if candidate is None:
        return None
    if not settings.model_path.is_file():
        return Refresh(candidate, False, None, promotion_gate.failures(candidate.figures, None))
    live = services.registry(settings).find_by_sha256(file_sha256(settings.model_path))
    if live is None:  # a file put there outside the registry: its figures are not known here
        return Refresh(candidate, False, f"in {settings.model_path} (not registered)")
    if live.model_id == candidate.model_id:
        return None
    return Refresh(candidate, False, live.model_id, promotion_gate.failures(candidate.figures, live.figures))


def override_command(candidate: Entry) -> str:
    return (f".venv/bin/python -m bot model promote {candidate.model_id} "
            f'--override-reason "why it must go live anyway" --by ADMIN_EMAIL')


def explain(result: Refresh) -> List[str]:
    """What `make train` prints: what was trained or reused, and where the live model stands."""
    made = "trained" if result.trained else "already in the registry (not retrained)"
    lines = [f"Model {result.candidate.model_id} from the current data/, domain.yml and config.yml: {made}."]
    if result.is_live and result.failures:
        return lines + ["LIVE WITHOUT PASSING THE PROMOTION GATE (no model was in service, and "
                        "BOT_ENV is not production):", *(f"  - {f}" for f in result.failures),
                        "Every later model must pass the gate to replace it. With BOT_ENV=production "
                        "nothing would be live until an admin overrides."]
    if result.is_live:
        lines.append("It is the model in service." if result.reload is None else
                     f"It passed the promotion gate and is now live: {RELOAD_WORDS[result.reload]}.")
        return lines
    where = [f"The live model {result.live_id} keeps serving." if result.live_id else
             "No model is in service, so `make run` cannot start until one is promoted.",
             f"Its figures beside the live model's: .venv/bin/python -m bot model report {result.candidate.model_id}"]
    if not result.failures:
        return lines + ["NOT LIVE: it was not promoted.", *where, "To promote it:",
                        f"  .venv/bin/python -m bot model promote {result.candidate.model_id}"]
    return lines + ["NOT PROMOTED:", *(f"  - {f}" for f in result.failures), *where,
                    "An admin may put it live anyway, with a written reason (audited):",
                    f"  {override_command(result.candidate)}",
                    "(an admin account: python -m bot staff add EMAIL --role admin)"]
