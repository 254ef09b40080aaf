"""The whole path in a real headless Chromium (Debian's, driven by Playwright), against what
`make run` starts (Rasa, actions, dashboard) with the Twilio stub as Twilio:

a parent's risk message arrives by SMS, they consent, the case appears in the queue (which
refreshes itself), a health visitor signs in with TOTP, claims, reads, notes, replies (the stub
receives it), closes (the parent is told), and the parent's next message gets a bot answer again.
axe-core checks the sign-in, queue and case pages. One bot and one browser per database.
"""
from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import pyotp
import pytest
from playwright.sync_api import sync_playwright

from tests.conftest import throwaway_postgres_database
from tests.integration.running_bot import RunningBot, start_bot
from tests.integration.twilio_client import Webhook, rows, twilio_env
from tests.twilio_stub import TwilioStub

CHROMIUM = "/usr/bin/chromium"
AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
ON_CALL = "+447700900999"
EMAIL, PASSWORD = "sam.hv@example.nhs.uk", "correct horse battery staple"
RISK_MESSAGE = "had 4 cans tonight n baby is in bed with me"


class Dashboard:
    def __init__(self, bot: RunningBot, url: str, stub: TwilioStub, browser) -> None:
        self.bot, self.url, self.stub, self.browser = bot, url, stub, browser
        self.base = f"http://127.0.0.1:{bot.dashboard_port}"
        self.webhook = Webhook(bot.rasa_port)

    def texts_to(self, address: str, containing: str, timeout: float = 60) -> str:
        """The first message the stub received for `address` that contains `containing`."""
        found = self.stub.wait_for(
            lambda s: any(containing in m.body for m in s.messages_to(address)), timeout)
        bodies = [m.body for m in self.stub.messages_to(address)]
        assert found, f"nothing containing {containing!r} reached {address}: {bodies}"
        return next(b for b in bodies if containing in b)


def wait_for_health(base: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"{base}/health", timeout=2) as response:
                if response.status == 200:
                    return
        time.sleep(0.5)
    raise AssertionError("the dashboard did not answer /health")


def add_health_visitor(database_url: str) -> None:
    """Through the real command line, as an admin would."""
    subprocess.run([sys.executable, "-m", "bot", "staff", "add", EMAIL, "--role", "health_visitor",
                    "--password-stdin"], input=PASSWORD + "\n", text=True, check=True,
                   env={**os.environ, "DATABASE_URL": database_url})


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def dashboard(request, tmp_path_factory, model_path) -> Iterator[Dashboard]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium")
    tmp_path = tmp_path_factory.mktemp(f"browser-{request.param}")
    with contextlib.ExitStack() as stack:
        stub = stack.enter_context(TwilioStub())
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'app.db'}"
        else:
            url = stack.enter_context(throwaway_postgres_database())
        bot = start_bot(url, token="test-token", tmp_path=tmp_path,
                        extra_env={**twilio_env(stub.base_url), "ON_CALL_NUMBER": ON_CALL})
        stack.callback(lambda: bot.process.poll() is None and bot.stop_with_ctrl_c())
        wait_for_health(f"http://127.0.0.1:{bot.dashboard_port}")
        add_health_visitor(url)
        playwright = stack.enter_context(sync_playwright())
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        stack.callback(browser.close)
        yield Dashboard(bot, url, stub, browser)


def assert_accessible(page, name: str) -> None:
    """axe-core in the page: no serious or critical violations."""
    page.evaluate(AXE)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
           for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert bad == [], f"{name}: {bad}"


def first_sign_in(page, base: str) -> None:
    """Password, then enrol an authenticator: read the key off the page as a phone app would."""
    page.goto(f"{base}/login")
    page.get_by_label("Work email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Set up two-factor sign-in").wait_for()
    assert page.locator(".qr svg").count() == 1
    assert_accessible(page, "two-factor enrolment page")
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("6-digit code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on and sign in").click()
    page.wait_for_url("**/queue")


def test_a_parents_risk_message_reaches_a_health_visitor_who_acts_and_closes_it(dashboard):
    parent = "+447700955501"
    hook = dashboard.webhook
    # 1-2. The parent's risk message through the bot, and their consent.
    hook.text(parent, RISK_MESSAGE)
    dashboard.texts_to(parent, "Reply YES or NO")
    hook.text(parent, "yes")
    dashboard.texts_to(parent, "health visitor will see this chat")
    hook.text(parent, "is it ok if she sleeps on her tummy")
    dashboard.texts_to(parent, "added this to your case")
    [case] = rows(dashboard.url, "SELECT id, sender_id FROM handoffs")
    case_id = case["id"]
    # The on-call phone gets the case link (within one 30 s check), never the parent's words.
    alert = dashboard.texts_to(ON_CALL, f"/cases/{case_id}")
    assert "cans" not in alert and "baby" not in alert

    context = dashboard.browser.new_context()
    page = context.new_page()
    page.goto(f"{dashboard.base}/login")
    assert_accessible(page, "sign-in page")
    # 4. Sign in with TOTP, enrolled now.
    first_sign_in(page, dashboard.base)
    # 3. The case is in the queue.
    assert page.url.endswith("/queue")
    row = page.locator("tr", has=page.get_by_role("link", name=f"Case {case_id}"))
    assert "unsafe sleep" in row.inner_text() and "given" in row.inner_text()
    assert_accessible(page, "queue page")

    page.get_by_role("link", name=f"Case {case_id}").click()
    conversation = page.locator("ol.conversation")
    assert RISK_MESSAGE in conversation.inner_text()
    paused = page.locator("li.paused")
    assert "is it ok if she sleeps on her tummy" in paused.inner_text()
    assert "do not share a bed or sofa" in conversation.inner_text().lower()  # the bot's side too
    assert parent in page.locator(".summary").inner_text()
    assert_accessible(page, "case page")

    page.get_by_role("button", name="Claim this case").click()
    assert "You have claimed this case." in page.get_by_role("status").inner_text()
    page.get_by_label("Add a note").fill("Rang at 10:05, no answer. Will try again.")
    page.get_by_role("button", name="Add note").click()
    assert "Rang at 10:05" in page.locator("ul.notes").inner_text()
    page.get_by_label("Reply to the parent").fill("Hi, this is Sam, your health visitor. I will call you today.")
    page.get_by_role("button", name="Send reply").click()
    assert "Sam, your health visitor" in page.locator("ol.conversation li.staff").inner_text()
    assert dashboard.texts_to(parent, "this is Sam").startswith("Hi, this is Sam")

    page.get_by_label("Outcome").select_option("advice_given")
    page.get_by_role("button", name="Close case").click()
    assert "Case closed" in page.get_by_role("status").inner_text()
    assert "Advice given" in page.locator(".summary").inner_text()
    dashboard.texts_to(parent, "closed your case")

    # 5. The parent's next message gets a bot answer again.
    hook.text(parent, "what temp shud the room be")
    assert "16" in dashboard.texts_to(parent, "16")

    actions = [r["action"] for r in rows(
        dashboard.url, "SELECT action FROM audit_log WHERE case_id = :c ORDER BY id", c=case_id)]
    for expected in ("case_viewed", "case_claimed", "note_added", "reply_sent", "case_closed"):
        assert expected in actions
    context.close()


def test_the_queue_refreshes_in_place_and_works_without_javascript(dashboard):
    context = dashboard.browser.new_context()
    page = context.new_page()
    page.clock.install()
    sign_in_again(page, dashboard)
    page.evaluate("window.stillTheSamePage = true")
    parent = "+447700955502"
    dashboard.webhook.text(parent, "my partner hits me")
    dashboard.texts_to(parent, "Reply YES or NO")
    dashboard.webhook.text(parent, "yes")
    dashboard.texts_to(parent, "health visitor will see this chat")
    case_id = max(r["id"] for r in rows(dashboard.url, "SELECT id FROM handoffs"))
    link = page.get_by_role("link", name=f"Case {case_id}")
    assert link.count() == 0
    page.clock.run_for(31_000)
    link.wait_for(timeout=10_000)
    assert page.evaluate("window.stillTheSamePage") is True
    context.close()

    no_js = dashboard.browser.new_context(java_script_enabled=False)
    page = no_js.new_page()
    sign_in_again(page, dashboard)
    page.get_by_label("Category").select_option("domestic_abuse")
    page.get_by_role("button", name="Show").click()
    assert "category=domestic_abuse" in page.url
    assert page.get_by_role("link", name=f"Case {case_id}").count() == 1
    no_js.close()


def sign_in_again(page, dashboard: Dashboard) -> None:
    """A later sign-in: the code from the enrolled secret (read from the database, as the person's
    phone would hold it), one time step on so it is not a replay of an earlier code."""
    [staff] = rows(dashboard.url, "SELECT totp_secret, totp_last_step FROM staff WHERE email = :e", e=EMAIL)
    step = (staff["totp_last_step"] or 0) + 1
    while step > int(time.time()) // 30 + 1:  # the server accepts one step of drift, no more
        time.sleep(1)
    step = max(step, int(time.time()) // 30)
    page.goto(f"{dashboard.base}/login")
    page.get_by_label("Work email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("6-digit code").fill(pyotp.TOTP(staff["totp_secret"]).at(step * 30))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/queue$"))
