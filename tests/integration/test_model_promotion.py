"""Promotion against a running bot: the server switches models through PUT /model while a parent
keeps texting, and no message goes unanswered; rollback switches back; an archive the server
cannot load leaves the live model in place. The live model's figures are measured for real. Then
a trainer's test conversation, and the whole loop: an unknown phrasing, the inbox, a label, a
real `rasa train` on a copy of data/ (with the regressions' iterations capped, see QUICK_FITS),
the report, promotion, and the new answer."""
from __future__ import annotations

import io
import json
import shutil
import tarfile
import threading
import uuid
from pathlib import Path
from typing import Iterator, List

import pytest
import requests
import sqlalchemy as sa
import yaml

from bot.config import load_settings
from bot.dashboard.accounts import Accounts
from bot.db.session import session_factory
from bot.db.migrate import upgrade
from bot.training import services
from bot.training.rasa_models import ModelLoadError, Reload
from tests.conftest import eventually
from tests.dashboard.helpers import add_staff
from tests.integration.running_bot import start_bot

TOKEN = "promotion-token"
# The model in service does not reach emergency recall 1.00 on the blind set yet, so every
# promotion of the same weights fails the gate and needs an admin's override (and says why).
OVERRIDE = "integration test: the same weights under a new model id"


def with_new_model_id(source: Path, target: Path) -> str:
    """The same trained model under a new model_id, so the server's /status tells them apart."""
    new_id = uuid.uuid4().hex
    with tarfile.open(source, "r:gz") as old, tarfile.open(target, "w:gz") as new:
        for member in old.getmembers():
            data = old.extractfile(member).read() if member.isfile() else None
            if member.name.lstrip("/") == "metadata.json":
                metadata = json.loads(data)
                metadata["model_id"] = new_id
                data = json.dumps(metadata).encode()
                member.size = len(data)
            new.addfile(member, io.BytesIO(data) if data is not None else None)
    return new_id


@pytest.fixture(scope="module")
def world(tmp_path_factory, model_path) -> Iterator[dict]:
    root = tmp_path_factory.mktemp("promotion")
    live = root / "models" / "current.tar.gz"
    live.parent.mkdir()
    shutil.copyfile(model_path, live)
    url = f"sqlite:///{root / 'app.db'}"
    upgrade(url)
    admin = add_staff(Accounts(session_factory(url)), "admin@example.nhs.uk", "admin")
    env = {"BOT_MODEL": str(live), "MODEL_REGISTRY_DIR": str(root / "registry")}
    bot = start_bot(url, token=TOKEN, tmp_path=root, extra_env=env)
    settings = load_settings({"DATABASE_URL": url, "BOT_VAR_DIR": str(root / "var"), "RASA_TOKEN": TOKEN,
                              "RASA_PORT": str(bot.rasa_port), **env})
    try:
        yield {"bot": bot, "settings": settings, "root": root, "admin": admin}
    finally:
        if bot.process.poll() is None:
            bot.stop_with_ctrl_c()


def serving_model_id(bot) -> str:
    response = requests.get(f"http://127.0.0.1:{bot.rasa_port}/status", params={"token": TOKEN}, timeout=10)
    return response.json()["model_id"]


def test_promotion_switches_the_running_server_without_dropping_messages_and_rollback_switches_back(world):
    bot, settings, root = world["bot"], world["settings"], world["root"]
    promoter = services.promoter(settings)
    live = promoter.live()  # measured on the held-out sets, then registered
    assert live.figures.intent_macro_f1 > 0.8 and live.figures.benign_count > 0
    first_id = serving_model_id(bot)
    variant = root / "variant.tar.gz"
    variant_id = with_new_model_id(settings.model_path, variant)
    # The same trained weights, so the same figures: registered without measuring them again.
    candidate = promoter.registry.add(variant, live.figures, live.data_version, "test variant")

    replies: List[list] = []
    stop = threading.Event()

    def parent_keeps_texting() -> None:
        while not stop.is_set():
            replies.append(bot.say("promotion-parent", "is it safe for baby to sleep on their front"))

    texting = threading.Thread(target=parent_keeps_texting)
    texting.start()
    try:
        # Texting before the switch and answered after it, whichever way the timing falls.
        assert eventually(lambda: replies, seconds=30)
        outcome = promoter.promote(candidate.model_id, by=world["admin"], override_reason=OVERRIDE)
        answered = len(replies)
        assert eventually(lambda: len(replies) > answered, seconds=30)
    finally:
        stop.set()
        texting.join(timeout=60)
    assert outcome.reload is Reload.LOADED
    assert serving_model_id(bot) == variant_id != first_id
    assert len(replies) >= 2 and all(r and r[0].get("text") for r in replies), replies
    assert bot.say("promotion-parent", "hello")

    assert promoter.rollback().model_id == live.model_id
    assert serving_model_id(bot) == first_id


def test_an_archive_the_server_cannot_load_leaves_the_live_model_serving(world):
    bot, settings, root = world["bot"], world["settings"], world["root"]
    promoter = services.promoter(settings)
    live = promoter.live()
    serving = serving_model_id(bot)
    broken = root / "broken.tar.gz"
    broken.write_bytes(b"not a model archive")
    candidate = promoter.registry.add(broken, live.figures, live.data_version, "broken")
    with pytest.raises(ModelLoadError):
        promoter.promote(candidate.model_id, by=world["admin"], override_reason=OVERRIDE)
    assert settings.model_path.read_bytes() == promoter.registry.archive(live.model_id).read_bytes()
    assert serving_model_id(bot) == serving
    assert bot.say("promotion-parent", "hello")[0]["text"]


def test_a_trainers_test_conversation_shows_the_bots_decisions_and_never_creates_a_case(world):
    from bot.dashboard.app import create_app
    from tests.dashboard.helpers import sign_in

    bot, settings = world["bot"], world["settings"]
    add_staff(Accounts(session_factory(settings.database_url)), "trainer@example.nhs.uk", "trainer")
    trainer = sign_in(create_app(settings).test_client(), "trainer@example.nhs.uk")
    start = trainer.client.get("/training/try")
    conversation = start.headers["Location"].split("c=", 1)[1]
    for text in ("had 4 cans tonight n baby is in bed with me", "yes"):
        sent = trainer.post("/training/try", {"conversation": requests.utils.unquote(conversation), "text": text})
        assert sent.status_code == 302, sent.text
    page = trainer.client.get(start.headers["Location"]).text
    assert "risk unsafe_sleep" in page and "action_offer_handoff" in page and "action_accept_handoff" in page
    assert "intent risk_unsafe_sleep (" in page and "intent affirm (" in page
    assert "Trainer test conversation: no case was created" in page
    with session_factory(settings.database_url)() as session:
        assert session.execute(sa.text("SELECT count(*) FROM handoffs")).scalar() == 0
        assert session.execute(sa.text("SELECT count(*) FROM consents")).scalar() == 0


def texts(replies) -> list:
    return [r.get("text") for r in replies]


# A phrasing the model in service falls back on, and the intent a trainer gives it.
UNKNOWN = "wat about them swingy hammock beds for sleeping"
KNOWN_SAME_INTENT = "is a hammock ok for bubs to kip in"
LABEL = "sleep_space"

# The loop, not the model's quality, is under test here (`make train` and the gates measure that),
# so the retrain stops each logistic regression after this many L-BFGS iterations instead of at
# convergence (about 260-290 for the intent classifier's, 100-140 for the risk classifier's). The
# full retrain was most of the suite's time: 276 s of this test on a quiet machine, 811 s on a slow one.
QUICK_FITS = 50
CAPPED_COMPONENTS = ("bot.nlu.two_step_classifier.TwoStepIntentClassifier", "bot.risk.classifier.RiskClassifier")


def config_with_quick_fits(project_config: Path, target: Path) -> Path:
    """The project's pipeline and policies as they are, but for the capped iterations."""
    config = yaml.safe_load(project_config.read_text())
    capped = [c for c in config["pipeline"] if c["name"] in CAPPED_COMPONENTS]
    assert len(capped) == len(CAPPED_COMPONENTS), "config.yml no longer names the classifiers this caps"
    for component in capped:
        component["max_iter"] = QUICK_FITS
    target.write_text(yaml.safe_dump(config, sort_keys=False))
    return target


def test_the_whole_loop_send_find_label_retrain_evaluate_promote_and_send_again(world):
    """It leaves the retrained model in service (tests after it must not assume the original)."""
    from bot.training import inbox, labelling, report
    from bot.training.cli import train_model

    bot, settings, root = world["bot"], world["settings"], world["root"]
    sessions = session_factory(settings.database_url)
    before = bot.say("loop-parent-1", UNKNOWN)
    reference = bot.say("loop-parent-2", KNOWN_SAME_INTENT)
    assert texts(before) != texts(reference), "the unknown phrasing is already answered like the known one"

    inbox.collect(settings.tracker_store_url, sessions,
                  inbox.thresholds_from_config(settings.project_root / "config.yml"))
    [item] = [i for i in inbox.Inbox(sessions).waiting() if i.text == UNKNOWN]
    assert item.source == "fallback"

    data = root / "data"
    shutil.copytree(settings.project_root / "data", data)
    assert labelling.label(data / "nlu", item.text, LABEL).written
    inbox.Inbox(sessions).close(item.id, "labelled", LABEL, "trainer@example.nhs.uk")

    config = config_with_quick_fits(settings.project_root / "config.yml", root / "config.yml")
    candidate = train_model(settings, config, data_dir=data)
    assert candidate.data_version.git_dirty
    written = report.write(services.model_subject(settings, candidate.model_id), root / "report.html")
    assert "Confusion matrix" in written.read_text()

    outcome = services.promoter(settings).promote(candidate.model_id, by=world["admin"],
                                                  override_reason=OVERRIDE)
    assert outcome.reload is Reload.LOADED
    assert texts(bot.say("loop-parent-3", UNKNOWN)) == texts(reference)


def test_the_dashboard_measures_an_unregistered_live_model_in_a_child_process(world):
    """Same weights under a new model id: the child's figures equal the in-process measurement."""
    settings, root = world["settings"], world["root"]
    measured_here = services.promoter(settings).live()
    with_new_model_id(settings.model_path, root / "renamed.tar.gz")
    shutil.copyfile(root / "renamed.tar.gz", settings.model_path)
    from_child = services.dashboard_promoter(settings).live()
    assert from_child.model_id != measured_here.model_id
    assert from_child.figures == measured_here.figures
