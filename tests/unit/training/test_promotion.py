"""Promotion and rollback on real files and a real migrated SQLite database (audit rows); no Rasa
server listens here, so the live file is what changes (tests/integration covers real servers),
except in the last test, where small HTTP servers answer `PUT /model` for several replicas."""
from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Optional

import pytest
import sqlalchemy as sa

from bot.dashboard.accounts import Accounts
from bot.db.migrate import upgrade
from bot.db.session import session_factory
from bot.db.staff import AuditEntry
from bot.training.data_version import DataVersion
from bot.training.promotion import Promoter, PromotionError, PromotionRefused
from bot.training.rasa_models import ModelLoadError, RasaModels, Reload
from bot.training.registry import Registry
from tests.conftest import free_port
from tests.dashboard.helpers import add_staff
from tests.unit.training.helpers import figures

VERSION = DataVersion(git_commit="abc123", git_dirty=False, inputs_sha256="0" * 64)
START = dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.timezone.utc)


class Loop:
    """A registry, a live model file (already registered with `live_figures`) and a promoter."""

    def __init__(self, tmp_path, live_figures):
        url = f"sqlite:///{tmp_path / 'app.db'}"
        upgrade(url)
        self.sessions = session_factory(url)
        self.registry = Registry(tmp_path / "registry")
        self.live_path = tmp_path / "models" / "current.tar.gz"
        self.live_path.parent.mkdir()
        self.live_path.write_bytes(b"live model")
        self.live = self.registry.add(self.live_path, live_figures, VERSION, "live", now=START)
        self.promoter = Promoter(self.registry, self.live_path,
                                 RasaModels([f"http://127.0.0.1:{free_port()}"], "token"), self.sessions,
                                 measure=self._never_measure, data_version=lambda: VERSION)
        self.added = 0

    @staticmethod
    def _never_measure(path):
        raise AssertionError("the live model is registered: it must not be measured again")

    def candidate(self, content: bytes, candidate_figures):
        self.added += 1
        model = self.live_path.parent / f"candidate-{self.added}.tar.gz"
        model.write_bytes(content)
        return self.registry.add(model, candidate_figures, VERSION, "trained",
                                 now=START + dt.timedelta(minutes=self.added))

    def audit(self):
        with self.sessions() as session:
            rows = session.execute(sa.select(AuditEntry).order_by(AuditEntry.id)).scalars()
            return [(r.action, r.staff_email, r.detail) for r in rows]


@pytest.fixture
def loop(tmp_path):
    return Loop(tmp_path, figures(macro_f1=0.92, unsafe_sleep=0.95))


def test_a_model_that_passes_the_gate_goes_live_and_is_audited(loop):
    better = loop.candidate(b"better model", figures(macro_f1=0.93, unsafe_sleep=0.97))
    outcome = loop.promoter.promote()
    assert (outcome.model_id, outcome.previous_id) == (better.model_id, loop.live.model_id)
    assert outcome.reload is Reload.NOT_RUNNING
    assert loop.live_path.read_bytes() == b"better model"
    assert loop.registry.state()["live"] == [loop.live.model_id, better.model_id]
    assert loop.audit() == [("model_promoted", None, better.model_id)]


def test_a_model_with_worse_risk_recall_is_refused_and_the_live_model_stays(loop):
    worse = loop.candidate(b"worse model", figures(macro_f1=0.95, unsafe_sleep=0.90))
    with pytest.raises(PromotionRefused) as refused:
        loop.promoter.promote(worse.model_id)
    assert refused.value.failures == ["unsafe_sleep recall 0.900 is below the live model's 0.950"]
    assert loop.live_path.read_bytes() == b"live model"
    assert loop.registry.state()["live"] == []
    [(action, _, detail)] = loop.audit()
    assert action == "model_promotion_refused" and "unsafe_sleep recall 0.900" in detail


def test_only_an_admin_with_a_written_reason_may_override_the_gate(loop):
    accounts = Accounts(loop.sessions)
    trainer = add_staff(accounts, "trainer@example.nhs.uk", "trainer")
    admin = add_staff(accounts, "admin@example.nhs.uk", "admin")
    worse = loop.candidate(b"worse model", figures(unsafe_sleep=0.90))
    with pytest.raises(PromotionError, match="only an admin"):
        loop.promoter.promote(worse.model_id, by=trainer, override_reason="looks fine to me")
    with pytest.raises(PromotionRefused):
        loop.promoter.promote(worse.model_id, by=admin, override_reason="   ")
    assert loop.live_path.read_bytes() == b"live model"
    reason = "The live model misroutes every 'co-sleeping' question; " + "x" * 300
    outcome = loop.promoter.promote(worse.model_id, by=admin, override_reason=reason)
    assert outcome.overridden == ["unsafe_sleep recall 0.900 is below the live model's 0.950"]
    assert loop.live_path.read_bytes() == b"worse model"
    action, email, detail = loop.audit()[-1]
    assert (action, email) == ("model_promoted_over_gate", "admin@example.nhs.uk")
    assert "unsafe_sleep recall 0.900" in detail and "reason: The live model misroutes" in detail
    assert loop.registry.state()["events"][-1]["override_reason"] == reason


def test_rollback_puts_back_the_previous_model_and_stops_at_the_first(loop):
    first = loop.candidate(b"second model", figures(macro_f1=0.93, unsafe_sleep=0.95))
    loop.promoter.promote(first.model_id)
    second = loop.candidate(b"third model", figures(macro_f1=0.94, unsafe_sleep=0.96))
    loop.promoter.promote(second.model_id)
    assert loop.promoter.rollback().model_id == first.model_id
    assert loop.live_path.read_bytes() == b"second model"
    assert loop.promoter.rollback().model_id == loop.live.model_id
    assert loop.live_path.read_bytes() == b"live model"
    with pytest.raises(PromotionError, match="no earlier live model"):
        loop.promoter.rollback()
    assert [a for a, _, _ in loop.audit()] == ["model_promoted", "model_promoted",
                                              "model_rolled_back", "model_rolled_back"]


def test_promoting_the_live_model_again_is_refused(loop):
    with pytest.raises(PromotionError, match="already live"):
        loop.promoter.promote(loop.live.model_id)


def test_a_live_file_the_registry_has_not_seen_is_measured_and_registered_before_the_gate(tmp_path):
    loop = Loop(tmp_path, figures())
    loop.live_path.write_bytes(b"made by make train")
    measured = []
    loop.promoter.measure = lambda path: measured.append(path.read_bytes()) or figures(unsafe_sleep=0.97)
    candidate = loop.candidate(b"candidate", figures(unsafe_sleep=0.96))
    with pytest.raises(PromotionRefused, match="unsafe_sleep recall 0.960 is below the live model's 0.970"):
        loop.promoter.promote(candidate.model_id)
    assert measured == [b"made by make train"]
    assert loop.promoter.live().source.startswith("live model found in service")


class Replica:
    """An HTTP server standing in for one Rasa replica's `PUT /model`: it records what the live
    file held when told to load it, and answers 204, or 500 when `refuse` is set or once it has
    loaded `loads_before_failing` models."""

    def __init__(self, refuse: bool = False, loads_before_failing: Optional[int] = None) -> None:
        loads = self.loads = []

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self):  # noqa: N802 (http.server's naming)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                failing = refuse or (loads_before_failing is not None and len(loads) >= loads_before_failing)
                loads.append(Path(body["model_file"]).read_bytes())
                self.send_response(500 if failing else 204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_promotion_tells_every_replica_and_a_replica_that_cannot_load_puts_every_one_back(loop):
    first, second = Replica(), Replica()
    loop.promoter.rasa = RasaModels([first.url, second.url, f"http://127.0.0.1:{free_port()}"], "token")
    better = loop.candidate(b"better model", figures(macro_f1=0.93))
    assert loop.promoter.promote(better.model_id).reload is Reload.SOME_RUNNING  # the third is down
    assert first.loads == second.loads == [b"better model"]

    refusing = Replica(refuse=True)
    loop.promoter.rasa = RasaModels([first.url, refusing.url, second.url], "token")
    newer = loop.candidate(b"newer model", figures(macro_f1=0.94))
    with pytest.raises(ModelLoadError, match="answered 500"):
        loop.promoter.promote(newer.model_id)
    assert loop.live_path.read_bytes() == b"better model"
    assert first.loads == [b"better model", b"newer model", b"better model"]
    assert refusing.loads == [b"newer model"] and second.loads == [b"better model"]
    for replica in (first, second, refusing):
        replica.server.shutdown()


def test_a_failed_put_back_is_reported_with_the_replicas_left_on_the_new_model(loop):
    flaky, refusing = Replica(loads_before_failing=2), Replica(refuse=True)
    loop.promoter.rasa = RasaModels([flaky.url], "token")
    better = loop.candidate(b"better model", figures(macro_f1=0.93))
    loop.promoter.promote(better.model_id)

    loop.promoter.rasa = RasaModels([flaky.url, refusing.url], "token")
    newer = loop.candidate(b"newer model", figures(macro_f1=0.94))
    with pytest.raises(ModelLoadError, match=f"putting the previous model back also failed .*{flaky.url} "
                                             f"may still serve {newer.model_id}"):
        loop.promoter.promote(newer.model_id)
    assert loop.live_path.read_bytes() == b"better model"
    assert flaky.loads == [b"better model", b"newer model", b"better model"]
    for replica in (flaky, refusing):
        replica.server.shutdown()
