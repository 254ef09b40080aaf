"""How fast the dashboard answers: the queue and a case page, served by waitress over loopback.

`python -m benchmarks.dashboard [--cases N] [--requests N]` builds a throwaway SQLite database with
N open cases (and a 40-message conversation on one), starts `python -m bot dashboard` on it, signs
in (an account without TOTP: BOT_ENV=test, for the benchmark only), and times sequential GETs.
Prints p50 / p95 / max in milliseconds for each page.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import sqlalchemy as sa

from bot.dashboard.accounts import Accounts
from bot.db.migrate import upgrade
from bot.db.models import utcnow
from bot.db.session import engine_for, session_factory
from tests.conftest import free_port
from tests.dashboard.helpers import PASSWORD, make_case

EVENTS = sa.Table("events", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                  sa.Column("sender_id", sa.String(255)), sa.Column("type_name", sa.String(255)),
                  sa.Column("timestamp", sa.Float), sa.Column("intent_name", sa.String(255)),
                  sa.Column("action_name", sa.String(255)), sa.Column("data", sa.Text))


def seed(url: str, cases: int) -> int:
    upgrade(url)
    sessions = session_factory(url)
    Accounts(sessions).add("bench@example.nhs.uk", "health_visitor", PASSWORD, mfa_required=False,
                           bot_env="test")
    now = utcnow()
    made = [make_case(sessions, level="emergency" if n % 10 == 0 else "high",
                      at=now - dt.timedelta(minutes=n)) for n in range(cases)]
    engine = engine_for(url)
    EVENTS.create(engine, checkfirst=True)
    with engine.begin() as connection:
        for n in range(40):
            connection.execute(EVENTS.insert().values(
                sender_id=made[0].sender_id, type_name="user" if n % 2 == 0 else "bot",
                timestamp=(now - dt.timedelta(minutes=40 - n)).timestamp(),
                data=json.dumps({"text": f"message number {n} about sleep and feeding"})))
    return made[0].id


def percentiles(samples) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"p50 {statistics.median(ordered):.1f} / p95 {p95:.1f} / max {ordered[-1]:.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'app.db'}"
        case_id = seed(url, args.cases)
        port = free_port()
        env = {**os.environ, "DATABASE_URL": url, "DASHBOARD_PORT": str(port), "BOT_VAR_DIR": tmp}
        server = subprocess.Popen([sys.executable, "-m", "bot", "dashboard"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            client = requests.Session()
            for _ in range(100):
                try:
                    page = client.get(f"{base}/login", timeout=2)
                    break
                except requests.ConnectionError:
                    time.sleep(0.2)
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
            client.post(f"{base}/login", data={"csrf_token": token, "email": "bench@example.nhs.uk",
                                               "password": PASSWORD}).raise_for_status()
            print(f"{args.cases} open cases, {args.requests} sequential requests per page")
            for name, path in (("queue", "/queue"), ("queue refresh", "/queue/rows"),
                               ("case page (40 messages)", f"/cases/{case_id}")):
                samples = []
                for _ in range(args.requests):
                    start = time.perf_counter()
                    response = client.get(base + path, timeout=10)
                    samples.append((time.perf_counter() - start) * 1000)
                    assert response.status_code == 200, response.status_code
                print(f"  {name:<24} {percentiles(samples)}")
        finally:
            server.terminate()
            server.wait(timeout=15)
    return 0


if __name__ == "__main__":
    sys.exit(main())
