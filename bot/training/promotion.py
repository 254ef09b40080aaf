"""Promote a registered model to live, or roll back to the one before, and tell the Rasa server.

The live model is the file `make run` serves (BOT_MODEL, models/current.tar.gz). It is replaced
by an atomic rename, then every running Rasa replica (RASA_REPLICA_URLS) is asked to load it
(bot/training/rasa_models.py); if one cannot, the previous file is put back and the replicas
already switched load it again, so all serve the previous model. A live
file the registry has never seen (e.g. from `make train`) is measured and registered first, so
the gate always compares against the figures of what is really in service.
Every promotion, refusal, override and rollback is an audit row; the override's full reason is
also kept in the registry's state (the audit row holds its first 255 characters).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Optional

from sqlalchemy.orm import sessionmaker

from bot.dashboard.audit import Action, AuditLog
from bot.db.staff import Role, Staff
from bot.training import promotion_gate
from bot.training.data_version import DataVersion
from bot.training.figures import Figures
from bot.training.rasa_models import ModelLoadError, RasaModels, Reload
from bot.training.registry import Entry, Registry, copy_atomically, file_sha256


# The override reason recorded when a development install's first model goes live over the gate.
BOOTSTRAP_REASON = ("development bootstrap: no model was in service; set BOT_ENV=production to "
                    "refuse instead")

class PromotionError(Exception):
    """The promotion or rollback was not done; the message says why, for the trainer."""


class PromotionRefused(PromotionError):
    def __init__(self, model_id: str, failures: List[str]) -> None:
        super().__init__(f"model {model_id} did not pass the promotion gate: " + "; ".join(failures))
        self.failures = failures


@dataclass(frozen=True)
class Outcome:
    model_id: str
    previous_id: Optional[str]
    reload: Reload
    overridden: List[str]


class Promoter:
    def __init__(self, registry: Registry, live_path: Path, rasa: RasaModels, sessions: sessionmaker,
                 measure: Callable[[Path], Figures], data_version: Callable[[], DataVersion]) -> None:
        self.registry, self.live_path, self.rasa = registry, Path(live_path), rasa
        self.audit = AuditLog(sessions)
        self.measure, self.data_version = measure, data_version

    def live(self) -> Optional[Entry]:
        """The registry entry of the file in service, registering it if it is new; None if there
        is no live file yet."""
        if not self.live_path.is_file():
            return None
        known = self.registry.find_by_sha256(file_sha256(self.live_path))
        if known is not None:
            return known
        return self.registry.add(self.live_path, self.measure(self.live_path), self.data_version(),
                                 source="live model found in service, registered at promotion")

    def promote(self, model_id: Optional[str] = None, *, by: Optional[Staff] = None,
                override_reason: str = "", ip: Optional[str] = None,
                now: Optional[dt.datetime] = None) -> Outcome:
        """Put `model_id` (the newest entry by default) in service if it passes the gate, or if an
        admin overrides with a reason."""
        reason = override_reason.strip()
        with self.registry.locked():
            candidate = self.registry.get(model_id) if model_id else self.registry.newest()
            live = self.live()
            if live is not None and live.model_id == candidate.model_id:
                raise PromotionError(f"model {candidate.model_id} is already live")
            failures = promotion_gate.failures(candidate.figures, live.figures if live else None)
            if failures and not reason:
                self.audit.write(Action.MODEL_PROMOTION_REFUSED, staff=by, ip=ip,
                                 detail=f"{candidate.model_id}: " + "; ".join(failures))
                raise PromotionRefused(candidate.model_id, failures)
            if failures and (by is None or by.role != Role.ADMIN.value or by.disabled):
                raise PromotionError("only an admin may override the promotion gate")
            return self._put_live(candidate, live, failures, reason, by, ip, now)

    def bootstrap(self, model_id: str) -> Outcome:
        """Put a first model in service on an install that has none, even though it fails the gate.

        With no model at all nothing can answer a parent, and a newcomer's `make run` on a fresh
        clone could not start. So outside production (`BOT_ENV`) the first model goes live with
        its failures kept in the registry's events and audited as a promotion over the gate;
        every later model must pass the gate against it. Production refuses instead: there an
        admin overrides with a written reason."""
        with self.registry.locked():
            if self.live() is not None:
                raise PromotionError("a model is already in service: only an empty install is bootstrapped")
            candidate = self.registry.get(model_id)
            failures = promotion_gate.failures(candidate.figures, None)
            return self._put_live(candidate, None, failures, BOOTSTRAP_REASON)

    def _put_live(self, candidate: Entry, live: Optional[Entry], failures: List[str], reason: str,
                  by: Optional[Staff] = None, ip: Optional[str] = None,
                  now: Optional[dt.datetime] = None) -> Outcome:
        """Install `candidate`, remember it and audit it: as a promotion over the gate, with
        `reason`, when it has `failures`; otherwise as a plain promotion."""
        outcome = Outcome(candidate.model_id, live.model_id if live else None,
                          self._install(candidate, live), failures)
        self._remember("promote", outcome, by, reason if failures else "", live, now)
        if failures:
            self.audit.write(Action.MODEL_PROMOTED_OVER_GATE, staff=by, ip=ip,
                             detail=f"{candidate.model_id} (failed: {'; '.join(failures)}) reason: {reason}")
        else:
            self.audit.write(Action.MODEL_PROMOTED, staff=by, ip=ip, detail=candidate.model_id)
        return outcome

    def rollback(self, *, by: Optional[Staff] = None, ip: Optional[str] = None,
                 now: Optional[dt.datetime] = None) -> Outcome:
        """Put back the model that was live before the current one."""
        with self.registry.locked():
            live = self.live()
            stack = list(self.registry.state()["live"])
            if live is not None and stack and stack[-1] == live.model_id:
                stack.pop()
            if not stack:
                raise PromotionError("there is no earlier live model to roll back to")
            target = self.registry.get(stack[-1])
            outcome = Outcome(target.model_id, live.model_id if live else None,
                              self._install(target, live), [])
            self._remember("rollback", outcome, by, "", live, now, stack=stack)
            self.audit.write(Action.MODEL_ROLLED_BACK, staff=by, ip=ip,
                             detail=f"{outcome.previous_id} -> {target.model_id}")
            return outcome

    def _install(self, entry: Entry, previous: Optional[Entry]) -> Reload:
        self.live_path.parent.mkdir(parents=True, exist_ok=True)
        copy_atomically(self.registry.archive(entry.model_id), self.live_path)
        try:
            return self.rasa.load(self.live_path)
        except ModelLoadError as error:
            if previous is None:
                self.live_path.unlink()
                raise
            copy_atomically(self.registry.archive(previous.model_id), self.live_path)
            if error.switched:  # replicas told before the failure go back to the previous model
                try:
                    self.rasa.load(self.live_path, only=error.switched)
                except ModelLoadError as revert_error:  # say both, and who may be left on the new one
                    raise ModelLoadError(
                        f"{error}; putting the previous model back also failed ({revert_error}), so "
                        f"{', '.join(error.switched)} may still serve {entry.model_id}",
                        error.switched) from error
            raise

    def _remember(self, kind: str, outcome: Outcome, by: Optional[Staff], reason: str,
                  live: Optional[Entry], now: Optional[dt.datetime],
                  stack: Optional[List[str]] = None) -> None:
        state = self.registry.state()
        if stack is None:
            stack = list(state["live"])
            if live is not None and (not stack or stack[-1] != live.model_id):
                stack.append(live.model_id)
            stack.append(outcome.model_id)
        state["live"] = stack
        state["events"].append({
            "action": kind, "model_id": outcome.model_id, "previous_id": outcome.previous_id,
            "at": (now or dt.datetime.now(dt.timezone.utc)).isoformat(),
            "by": by.email if by else None, "override_reason": reason or None,
            "overridden_failures": outcome.overridden, "server": outcome.reload.value,
        })
        self.registry.save_state(state)
