"""`python -m bot run` (what `make run` starts) when the model trained from the current data was
refused by the promotion gate: the live model serves, and the banner warns, with the reasons and
the override command. The registry is the test's own: the live model is a copy of the project's,
and the refused one is registered as trained from the project's inputs as they are now."""
from __future__ import annotations

import shutil

from bot.config import PROJECT_ROOT
from bot.training.data_version import DataVersion, inputs_hash
from bot.training.registry import Registry
from bot.training.services import trained_source
from tests.integration.running_bot import start_bot
from tests.unit.training.helpers import figures


def test_run_serves_the_live_model_and_warns_when_the_retrain_was_refused(tmp_path, sqlite_url, model_path):
    live = tmp_path / "models" / "current.tar.gz"
    live.parent.mkdir()
    shutil.copyfile(model_path, live)
    registry = Registry(tmp_path / "registry")
    registry.add(live, figures(self_harm=0.95), DataVersion(None, False, "1" * 64), "live model")
    refused_file = tmp_path / "refused.tar.gz"
    refused_file.write_bytes(b"refused model")
    refused = registry.add(refused_file, figures(self_harm=0.90), DataVersion(None, True, inputs_hash(PROJECT_ROOT)),
                           trained_source(PROJECT_ROOT / "config.yml"))

    bot = start_bot(sqlite_url, token="t", tmp_path=tmp_path,
                    extra_env={"BOT_MODEL": str(live), "MODEL_REGISTRY_DIR": str(registry.root)})
    try:
        answer = " ".join(m["text"] for m in bot.say("parent-1", "can the baby sleep on the settee with me"))
        assert "sofa" in answer.lower()
    finally:
        bot.stop_with_ctrl_c()
    output = "".join(bot.output)
    assert "WARNING: this is not the model trained from the current data/, domain.yml and config.yml." in output
    assert "self_harm recall 0.900 is below the live model's 0.950" in output
    assert f"python -m bot model promote {refused.model_id} --override-reason" in output
