"""`python -m bot model list|promote|rollback` as an operator runs them, on a real registry and
database: the live model is starred, a worse model is refused with the reasons, an override needs
an admin, and rollback puts back the previous file."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

from bot.dashboard.accounts import Accounts
from bot.db.migrate import upgrade
from bot.db.session import session_factory
from bot.training.data_version import DataVersion
from bot.training.registry import Registry
from tests.conftest import free_port
from tests.dashboard.helpers import add_staff
from tests.unit.training.helpers import figures

VERSION = DataVersion(git_commit="abc123", git_dirty=False, inputs_sha256="0" * 64)


def test_the_model_commands_list_refuse_override_and_roll_back(tmp_path):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    add_staff(Accounts(session_factory(url)), "admin@example.nhs.uk", "admin")
    live_path = tmp_path / "current.tar.gz"
    live_path.write_bytes(b"live")
    registry = Registry(tmp_path / "registry")
    at = dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.timezone.utc)
    live = registry.add(live_path, figures(self_harm=0.95), VERSION, "live", now=at)
    worse_file = tmp_path / "worse.tar.gz"
    worse_file.write_bytes(b"worse")
    worse = registry.add(worse_file, figures(self_harm=0.90), VERSION, "trained", now=at + dt.timedelta(minutes=1))
    env = {**os.environ, "DATABASE_URL": url, "MODEL_REGISTRY_DIR": str(tmp_path / "registry"),
           "BOT_MODEL": str(live_path), "BOT_VAR_DIR": str(tmp_path / "var"), "RASA_PORT": str(free_port())}

    def model(*args):
        return subprocess.run([sys.executable, "-m", "bot", "model", *args], env=env,
                              capture_output=True, text=True, timeout=120)

    listing = model("list").stdout.splitlines()
    assert listing[0].startswith(f"* {live.model_id}") and listing[1].startswith(f"  {worse.model_id}")
    refused = model("promote")
    assert refused.returncode == 1
    assert "self_harm recall 0.900 is below the live model's 0.950" in refused.stderr
    no_admin = model("promote", "--override-reason", "needed for the pilot")
    assert no_admin.returncode == 1 and "only an admin may override" in no_admin.stderr
    done = model("promote", worse.model_id, "--override-reason", "needed for the pilot",
                 "--by", "admin@example.nhs.uk")
    assert done.returncode == 0, done.stderr
    assert "gate overridden: self_harm recall 0.900" in done.stdout and "no Rasa server is running" in done.stdout
    assert live_path.read_bytes() == b"worse"
    back = model("rollback", "--by", "admin@example.nhs.uk")
    assert back.returncode == 0 and f"rolled back to {live.model_id}" in back.stdout
    assert live_path.read_bytes() == b"live"
