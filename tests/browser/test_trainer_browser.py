"""The trainers' pages in a real headless Chromium against what `make run` starts: a trainer
signs in with TOTP, finds a parent's misunderstood message in the inbox (redacted), labels it,
talks to the bot on the try-the-bot page and sees its decisions; axe-core checks every trainer
page. SQLite only: the pages' database work is covered on PostgreSQL in tests/dashboard."""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from typing import Iterator

import pyotp
import pytest
from playwright.sync_api import sync_playwright

from bot.config import PROJECT_ROOT
from tests.browser.test_dashboard_browser import CHROMIUM, assert_accessible, wait_for_health
from tests.integration.running_bot import start_bot

EMAIL, PASSWORD = "tess.trainer@example.nhs.uk", "correct horse battery staple"
UNKNOWN = "hi I'm Maddie, wat about them swingy hammock beds for sleeping"


@pytest.fixture(scope="module")
def world(tmp_path_factory, model_path) -> Iterator[dict]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium")
    root = tmp_path_factory.mktemp("trainer-browser")
    shutil.copytree(PROJECT_ROOT / "data" / "nlu", root / "nlu")
    url = f"sqlite:///{root / 'app.db'}"
    with contextlib.ExitStack() as stack:
        bot = start_bot(url, token="test-token", tmp_path=root,
                        extra_env={"NLU_DATA_DIR": str(root / "nlu"),
                                   "MODEL_REGISTRY_DIR": str(root / "registry")})
        stack.callback(lambda: bot.process.poll() is None and bot.stop_with_ctrl_c())
        base = f"http://127.0.0.1:{bot.dashboard_port}"
        wait_for_health(base)
        subprocess.run([sys.executable, "-m", "bot", "staff", "add", EMAIL, "--role", "trainer",
                        "--password-stdin"], input=PASSWORD + "\n", text=True, check=True,
                       env={**os.environ, "DATABASE_URL": url})
        playwright = stack.enter_context(sync_playwright())
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        stack.callback(browser.close)
        yield {"bot": bot, "base": base, "browser": browser, "root": root}


def test_a_trainer_labels_a_misunderstood_message_and_tries_the_bot(world):
    bot, base = world["bot"], world["base"]
    bot.say("browser-parent", UNKNOWN)

    page = world["browser"].new_context().new_page()
    page.goto(f"{base}/login")
    page.get_by_label("Work email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Set up two-factor sign-in").wait_for()
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("6-digit code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on and sign in").click()
    page.wait_for_url("**/training")
    assert "No models registered yet" in page.inner_text("main")
    assert_accessible(page, "models page")

    page.get_by_role("link", name="Inbox").click()
    row = page.locator("tr", has_text="hammock")
    assert "hi I'm [name], wat about them swingy hammock beds for sleeping" in row.inner_text()
    assert "Maddie" not in page.content()
    assert_accessible(page, "inbox page")
    row.get_by_label("Intent or risk category").select_option("sleep_space")
    row.get_by_role("button", name="Label").click()
    assert "Labelled" in page.get_by_role("status").inner_text()
    assert "- hi I'm [name], wat about them swingy hammock beds for sleeping\n" in (
        world["root"] / "nlu" / "safer_sleep.yml").read_text()

    page.get_by_role("link", name="Try the bot").click()
    assert "Test conversation" in page.inner_text("main")
    page.get_by_label("Message").fill("can baby sleep in my bed")
    page.get_by_role("button", name="Send").click()
    turn = page.locator("ol.conversation li.parent").first
    assert "intent sleep_bed_sharing (" in turn.inner_text() and "risk none" in turn.inner_text()
    assert "actions: none" not in turn.inner_text() and "actions: " in turn.inner_text()
    assert page.locator("ol.conversation li.bot").count() >= 1
    assert_accessible(page, "try-the-bot page")

    page.get_by_role("link", name="Validate, train, evaluate").click()
    assert page.get_by_role("button", name="Validate the data").is_enabled()
    assert_accessible(page, "jobs page")
    page.goto(f"{base}/training/evaluation")
    assert "No evaluation yet" in page.inner_text("main")
    assert_accessible(page, "evaluation page")
