"""Retention on SQLite and PostgreSQL: `retention run` deletes exactly what has expired, keeps open
cases and everything still needed, and the audit log stays append-only except for a run's window."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from bot.config import AUDIT_FLOOR_DAYS, PROJECT_ROOT, RetentionPeriods, load_settings
from bot.db.governance import RetentionRun
from bot.db.messaging import Contact, InboundMessage, InboundStatus, OutboundMessage, OutboundStatus
from bot.db.migrate import alembic_config, upgrade
from bot.db.models import CaseMessage, Consent, Handoff
from bot.db.session import session_factory
from bot.db.staff import AuditEntry
from bot.governance import retention
from tests.integration.governance_helpers import (  # noqa: F401 (sessions is a fixture)
    NOW, ago, sessions, closed_case, count, decline, open_case, parent_writes, save_conversation, sender, tracker_events)

MIGRATION = PROJECT_ROOT / "bot/db/migrations/versions/0005_data_governance.py"


@pytest.fixture
def records(sessions, database_url):
    """Six parents in every state retention must tell apart, and two audit rows."""
    old = parent_writes(sessions, "+447700900001", "hello", ago(400))
    save_conversation(database_url, old, ["hello", "thanks"], ago(100))
    old_case = closed_case(sessions, old, ago(3000), "old-case")
    decline(sessions, old, ago(3000))
    with_open_case = parent_writes(sessions, "+447700900002", "help", ago(400))
    save_conversation(database_url, with_open_case, ["help"], ago(100))
    open_case(sessions, with_open_case, ago(3000), "open-case")
    recent = parent_writes(sessions, "+447700900003", "hi", ago(1))
    save_conversation(database_url, recent, ["hi"], ago(1))
    closed_case(sessions, recent, ago(10), "recent-case")
    decline(sessions, recent, ago(10))
    closed_lately = parent_writes(sessions, "+447700900004", "is this ok", ago(100))
    save_conversation(database_url, closed_lately, ["is this ok"], ago(100))
    closed_case(sessions, closed_lately, ago(30), "closed-lately")
    parent_writes(sessions, "+447700900005", "not answered yet", ago(400), status=InboundStatus.PENDING, reply=None)
    parent_writes(sessions, "+447700900006", "reply waiting", ago(400), reply_status=OutboundStatus.QUEUED)
    with sessions.begin() as session:
        session.add_all([AuditEntry(at=ago(3000), action="case_viewed", case_id=old_case.id),
                         AuditEntry(at=ago(10), action="case_viewed", case_id=old_case.id)])
    return {"old": old, "open": with_open_case, "recent": recent, "closed_lately": closed_lately,
            "old_case": old_case.id, "old_events": tracker_events(database_url, old)}


def expected(records) -> dict:
    return {"conversations": 1, "conversation_events": records["old_events"], "outbound_messages": 3,
            "inbound_messages": 3, "contacts": 1, "cases": 1, "case_consents": 1, "case_records": 1,
            "declined_offers": 1, "audit_rows": 1}


def table_counts(sessions) -> dict:
    return {model.__tablename__: count(sessions, model) for model in
            (Contact, InboundMessage, OutboundMessage, Handoff, Consent, CaseMessage, AuditEntry)}


def test_a_dry_run_counts_what_has_expired_and_changes_nothing(sessions, database_url, records):
    before = table_counts(sessions)
    report = retention.run(sessions, database_url, RetentionPeriods(), dry_run=True)
    assert report.deleted == expected(records)
    assert table_counts(sessions) == before
    assert tracker_events(database_url, records["old"]) == records["old_events"]
    assert count(sessions, RetentionRun) == 0


def test_a_run_deletes_each_expired_kind_and_keeps_open_cases_and_what_is_still_needed(
        sessions, database_url, records):
    report = retention.run(sessions, database_url, RetentionPeriods())
    assert report.deleted == expected(records)
    assert tracker_events(database_url, records["old"]) == 0
    for kept in ("open", "recent", "closed_lately"):  # open case; recent; case ended within 90 days
        assert tracker_events(database_url, records[kept]) > 0
    assert count(sessions, Handoff, Handoff.id == records["old_case"]) == 0
    assert count(sessions, Handoff, Handoff.offer_id == "open-case") == 1  # 3000 days old, still open
    assert count(sessions, Contact, Contact.sender_id == records["old"]) == 0
    assert count(sessions, Contact, Contact.sender_id == records["open"]) == 1
    assert count(sessions, InboundMessage, InboundMessage.status == InboundStatus.PENDING.value) == 1
    assert count(sessions, OutboundMessage, OutboundMessage.status == OutboundStatus.QUEUED.value) == 1
    assert count(sessions, AuditEntry, AuditEntry.action == "case_viewed") == 1
    with sessions() as session:
        run = session.get(RetentionRun, report.run_id)
        assert run.finished_at is not None and run.deleted == expected(records)
        audited = session.execute(sa.select(AuditEntry).where(AuditEntry.action == "retention_run")).scalar_one()
    assert "audit_rows 1" in audited.detail and "+44" not in audited.detail
    assert retention.run(sessions, database_url, RetentionPeriods()).deleted == dict.fromkeys(expected(records), 0)


def test_the_audit_log_still_refuses_ordinary_updates_and_deletes_of_old_rows(sessions, records):
    statements = ["UPDATE audit_log SET action = 'nothing'", "DELETE FROM audit_log",
                  f"DELETE FROM audit_log WHERE case_id = {records['old_case']}"]
    if sessions.kw["bind"].dialect.name == "postgresql":
        statements.append("TRUNCATE audit_log")
    for statement in statements:
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            with sessions.begin() as session:
                session.execute(sa.text(statement))
    assert count(sessions, AuditEntry) == 2


def test_a_run_window_cannot_delete_rows_younger_than_the_floor_nor_be_reopened(sessions, records):
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):  # only the old row, but the cutoff is too recent
        with sessions.begin() as session:
            session.add(RetentionRun(started_at=NOW, audit_cutoff=ago(AUDIT_FLOOR_DAYS - 1)))
            session.flush()
            session.execute(sa.delete(AuditEntry).where(AuditEntry.at < ago(2000)))
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):  # the recent row is not past the cutoff
        with sessions.begin() as session:
            session.add(RetentionRun(started_at=NOW, audit_cutoff=ago(AUDIT_FLOOR_DAYS + 1)))
            session.flush()
            session.execute(sa.text("DELETE FROM audit_log"))
    assert count(sessions, AuditEntry) == 2
    run_id = retention.run(sessions, sessions.kw["bind"].url.render_as_string(hide_password=False),
                           RetentionPeriods()).run_id
    for statement in (f"UPDATE retention_runs SET finished_at = NULL WHERE id = {run_id}",
                      f"DELETE FROM retention_runs WHERE id = {run_id}"):
        with pytest.raises(sa.exc.DatabaseError, match="retention_runs is append-only"):
            with sessions.begin() as session:
                session.execute(sa.text(statement))


@pytest.mark.postgres
def test_postgres_refuses_to_commit_a_run_left_open(postgres_url):
    upgrade(postgres_url)
    sessions = session_factory(postgres_url)
    with pytest.raises(sa.exc.DatabaseError, match="must be finished"):
        with sessions.begin() as session:
            session.add(RetentionRun(started_at=NOW, audit_cutoff=ago(AUDIT_FLOOR_DAYS + 1)))
    assert count(sessions, RetentionRun) == 0
    sessions.kw["bind"].dispose()


@pytest.mark.postgres
def test_postgres_refuses_to_truncate_the_record_of_retention_runs(postgres_url):
    upgrade(postgres_url)
    sessions = session_factory(postgres_url)
    retention.run(sessions, postgres_url, RetentionPeriods())
    for statement in ("TRUNCATE retention_runs", "TRUNCATE audit_log, retention_runs"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            with sessions.begin() as session:
                session.execute(sa.text(statement))
    assert count(sessions, RetentionRun) == 1
    sessions.kw["bind"].dispose()


def test_a_run_refuses_to_start_while_a_committed_run_is_unfinished_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path}/app.db"
    upgrade(url)
    sessions = session_factory(url)
    with sessions.begin() as session:  # SQLite cannot refuse this at commit, as PostgreSQL does
        session.add(RetentionRun(started_at=NOW, audit_cutoff=ago(AUDIT_FLOOR_DAYS + 1)))
    environment = {**os.environ, "DATABASE_URL": url, "BOT_VAR_DIR": str(tmp_path / "var")}
    environment.pop("TRACKER_STORE_URL", None)
    refused = subprocess.run([sys.executable, "-m", "bot", "retention", "run"], capture_output=True, text=True,
                             env=environment, cwd=PROJECT_ROOT)
    assert refused.returncode == 2 and "retention run(s) 1 were committed unfinished" in refused.stderr
    assert count(sessions, RetentionRun) == 1
    with sessions.begin() as session:  # the remedy the message gives
        session.execute(sa.text(refused.stderr.rsplit("with: ", 1)[1]))
    assert retention.run(sessions, url, RetentionPeriods()).run_id == 2
    sessions.kw["bind"].dispose()


def test_the_database_floor_and_the_settings_floor_agree():
    assert f"AUDIT_FLOOR_DAYS = {AUDIT_FLOOR_DAYS}\n" in MIGRATION.read_text()
    with pytest.raises(ValueError, match="RETENTION_AUDIT_DAYS"):
        load_settings({"RETENTION_AUDIT_DAYS": str(AUDIT_FLOOR_DAYS - 1)})
    assert load_settings({"RETENTION_CONVERSATION_DAYS": "30"}).retention.conversation_days == 30


def test_the_migrations_have_one_head_and_downgrade_and_upgrade_again(database_url):
    config = alembic_config(database_url)
    assert ScriptDirectory.from_config(config).get_heads() == ["0007_early_statuses"]
    from alembic import command

    command.downgrade(config, "0004_merge")
    assert not {"retention_runs", "early_statuses"} & set(
        sa.inspect(session_factory(database_url).kw["bind"]).get_table_names())
    with session_factory(database_url).begin() as session:
        session.add(AuditEntry(at=ago(3000), action="case_viewed"))
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        with session_factory(database_url).begin() as session:
            session.execute(sa.text("DELETE FROM audit_log"))
    upgrade(database_url)
    assert {"retention_runs", "early_statuses"} <= set(
        sa.inspect(session_factory(database_url).kw["bind"]).get_table_names())


def test_the_command_prints_counts_per_kind_as_json(sessions, database_url, records, tmp_path):
    environment = {**os.environ, "DATABASE_URL": database_url, "BOT_VAR_DIR": str(tmp_path / "var")}
    environment.pop("TRACKER_STORE_URL", None)
    command = [sys.executable, "-m", "bot", "retention", "run", "--json"]
    dry = subprocess.run([*command, "--dry-run"], capture_output=True, text=True, env=environment,
                         cwd=PROJECT_ROOT, check=True)
    assert json.loads(dry.stdout)["would_delete"] == expected(records)
    done = subprocess.run(command, capture_output=True, text=True, env=environment, cwd=PROJECT_ROOT, check=True)
    report = json.loads(done.stdout)
    assert report["deleted"] == expected(records) and report["run_id"] == 1
    assert sender("+447700900001") == records["old"]
