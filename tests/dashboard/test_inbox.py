"""The trainers' inbox through the real forms: a misunderstood message arrives redacted from the
tracker store, is labelled into (a copy of) the project's NLU data, conflicts need confirming."""
from __future__ import annotations

import re
import shutil

import sqlalchemy as sa

from bot.config import PROJECT_ROOT
from bot.db.staff import AuditEntry
from tests.dashboard.helpers import make_case, sign_in
from tests.unit.training.test_inbox import parse, save


def test_a_trainer_labels_a_misunderstood_message_into_the_training_data(app, settings, staff, sessions):
    shutil.copytree(PROJECT_ROOT / "data" / "nlu", settings.nlu_data_dir)
    save(settings.tracker_store_url, "sms-abc", [
        ("hi I'm Kemi, can my lo nap in the pushchair all afternoon",
         parse("x", [("nlu_fallback", 0.7), ("sleep_car_seats_slings", 0.2)])),
        ("asdfgh", parse("x", [("nlu_fallback", 0.9)])),
    ])
    trainer = sign_in(app.test_client(), "trainer@example.nhs.uk")
    page = trainer.client.get("/training/inbox").text
    assert "hi I&#39;m [name], can my lo nap in the pushchair all afternoon" in page and "Kemi" not in page
    ids = [int(i) for i in re.findall(r"/training/inbox/(\d+)/label", page)]
    assert len(ids) == 2

    done = trainer.post(f"/training/inbox/{ids[0]}/label", {"intent": "sleep_car_seats_slings"})
    assert done.status_code == 302 and done.headers["Location"].endswith("done=labelled")
    assert "- hi I'm [name], can my lo nap in the pushchair all afternoon\n" in (
        settings.nlu_data_dir / "sleep_situations.yml").read_text()
    assert trainer.post(f"/training/inbox/{ids[1]}/noise", {}).status_code == 302
    assert "Nothing waiting." in trainer.client.get("/training/inbox").text
    with sessions() as session:
        actions = session.execute(sa.select(AuditEntry.action, AuditEntry.detail)
                                  .where(AuditEntry.action.like("inbox_%")).order_by(AuditEntry.id)).all()
    assert [tuple(a) for a in actions] == [("inbox_labelled", f"item {ids[0]} -> sleep_car_seats_slings"),
                                           ("inbox_noise", f"item {ids[1]}")]


def test_a_conflicting_label_is_shown_and_needs_confirming(app, settings, staff):
    shutil.copytree(PROJECT_ROOT / "data" / "nlu", settings.nlu_data_dir)
    save(settings.tracker_store_url, "sms-abc", [("is a weighted swaddle ok", parse("x", [("nlu_fallback", 0.7)]))])
    trainer = sign_in(app.test_client(), "trainer@example.nhs.uk")
    page = trainer.client.get("/training/inbox").text
    item = int(re.search(r"/training/inbox/(\d+)/label", page).group(1))
    before = (settings.nlu_data_dir / "conversation.yml").read_text()
    refused = trainer.post(f"/training/inbox/{item}/label", {"intent": "greet"})
    assert refused.status_code == 409
    assert "is already an example of <strong>sleep_swaddling</strong> in sleep_situations.yml" in refused.text
    assert 'name="confirm_conflict"' in refused.text
    assert (settings.nlu_data_dir / "conversation.yml").read_text() == before
    forced = trainer.post(f"/training/inbox/{item}/label", {"intent": "greet", "confirm_conflict": "yes"})
    assert forced.status_code == 302
    page = trainer.client.get("/training/inbox").text
    assert "Texts the training data gives more than one intent" in page and "greet (conversation.yml)" in page


def test_health_visitors_send_false_alarms_and_missed_risks_to_the_inbox_redacted(app, settings, staff, sessions):
    case = make_case(sessions, text="Jess here, I had 2 glasses of wine, baby in our bed, 07700 900123")
    save(settings.tracker_store_url, case.sender_id, [
        ("hi can you help", parse("x", [("greet", 0.9), ("affirm", 0.01)])),
        ("my partner Tom hits me when he drinks", parse("x", [("greet", 0.6), ("affirm", 0.3)])),
    ])
    hv = sign_in(app.test_client(), "hv@example.nhs.uk")
    page = hv.client.get(f"/cases/{case.id}").text
    assert page.count("Missed risk: send to trainers") == 2 and "False alarm: send to trainers" in page
    assert hv.post(f"/cases/{case.id}/false-alarm", {}).status_code == 302
    assert hv.post(f"/cases/{case.id}/missed-risk", {"message": "1"}).status_code == 302
    assert hv.post(f"/cases/{case.id}/missed-risk", {"message": "2"}).status_code == 409

    trainer = sign_in(app.test_client(), "trainer@example.nhs.uk")
    inbox = trainer.client.get("/training/inbox").text
    assert "[name] here, I had 2 glasses of wine, baby in our bed, [phone]" in inbox
    assert "my partner [name] hits me when he drinks" in inbox
    assert "Jess" not in inbox and "Tom" not in inbox and "07700" not in inbox
    assert "false_alarm" in inbox and "missed_risk" in inbox
    with sessions() as session:
        actions = session.execute(sa.select(AuditEntry.action).where(AuditEntry.case_id == case.id)
                                  .where(AuditEntry.action.like("case_flagged_%"))).scalars().all()
    assert sorted(actions) == ["case_flagged_false_alarm", "case_flagged_missed_risk"]
