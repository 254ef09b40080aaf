"""Data governance: a record of each retention run and each erasure (with what was kept for
safeguarding and why), and an audit log whose old rows only a retention run can delete.

The audit log stays append-only. The one exception: while a retention run is in progress (a
`retention_runs` row with no `finished_at`, visible only inside the run's own transaction), a
DELETE of an audit row older than that run's `audit_cutoff` is allowed, and only if the cutoff is
itself at least AUDIT_FLOOR_DAYS in the past, so no run, however configured, can remove recent
rows. UPDATE and TRUNCATE stay refused. A run row can be finished once and never deleted; on
PostgreSQL a transaction that would commit an unfinished run is refused, so the window cannot be
left open.

Audit rows outlive the cases they name (they are kept longer, and a case may be erased), so the
audit log's foreign key to `handoffs` is dropped on PostgreSQL (SQLite does not enforce it).

Revision ID: 0005_data_governance
Revises: 0004_merge
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_data_governance"
down_revision = "0004_merge"
branch_labels = None
depends_on = None

# Kept in step with bot.config.AUDIT_FLOOR_DAYS (a test checks).
AUDIT_FLOOR_DAYS = 365
APPEND_ONLY = "audit_log is append-only"

SQLITE_UP = [
    "DROP TRIGGER audit_log_no_delete",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log WHEN NOT EXISTS ("
    " SELECT 1 FROM retention_runs r WHERE r.finished_at IS NULL AND r.audit_cutoff IS NOT NULL"
    " AND julianday(OLD.at) < julianday(r.audit_cutoff)"
    f" AND julianday(r.audit_cutoff) <= julianday('now') - {AUDIT_FLOOR_DAYS})"
    f" BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END",
    "CREATE TRIGGER retention_runs_no_delete BEFORE DELETE ON retention_runs "
    "BEGIN SELECT RAISE(ABORT, 'retention_runs is append-only'); END",
    "CREATE TRIGGER retention_runs_finish_once BEFORE UPDATE ON retention_runs WHEN "
    "OLD.finished_at IS NOT NULL OR NEW.finished_at IS NULL OR NEW.started_at IS NOT OLD.started_at "
    "OR NEW.audit_cutoff IS NOT OLD.audit_cutoff "
    "BEGIN SELECT RAISE(ABORT, 'retention_runs is append-only: a run is finished once'); END",
]
SQLITE_DOWN = [
    "DROP TRIGGER retention_runs_finish_once",
    "DROP TRIGGER retention_runs_no_delete",
    "DROP TRIGGER audit_log_no_delete",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END",
]
POSTGRES_UP = [
    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN "
    "IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM retention_runs r WHERE r.finished_at IS NULL "
    "AND r.audit_cutoff IS NOT NULL AND OLD.at < r.audit_cutoff "
    f"AND r.audit_cutoff <= now() - interval '{AUDIT_FLOOR_DAYS} days') THEN RETURN OLD; END IF; "
    f"RAISE EXCEPTION '{APPEND_ONLY}'; END $$",
    "CREATE FUNCTION retention_runs_guard() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN "
    "IF TG_OP = 'UPDATE' AND OLD.finished_at IS NULL AND NEW.finished_at IS NOT NULL "
    "AND NEW.started_at = OLD.started_at "
    "AND NEW.audit_cutoff IS NOT DISTINCT FROM OLD.audit_cutoff THEN RETURN NEW; END IF; "
    "RAISE EXCEPTION 'retention_runs is append-only: a run is finished once'; END $$",
    "CREATE TRIGGER retention_runs_guard BEFORE UPDATE OR DELETE ON retention_runs "
    "FOR EACH ROW EXECUTE FUNCTION retention_runs_guard()",
    "CREATE FUNCTION retention_runs_finished_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN "
    "IF EXISTS (SELECT 1 FROM retention_runs WHERE id = NEW.id AND finished_at IS NULL) THEN "
    "RAISE EXCEPTION 'a retention run must be finished before it is committed'; END IF; "
    "RETURN NULL; END $$",
    "CREATE CONSTRAINT TRIGGER retention_runs_finished_at_commit AFTER INSERT ON retention_runs "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION retention_runs_finished_at_commit()",
]
POSTGRES_DOWN = [
    "DROP TRIGGER retention_runs_finished_at_commit ON retention_runs",
    "DROP FUNCTION retention_runs_finished_at_commit()",
    "DROP TRIGGER retention_runs_guard ON retention_runs",
    "DROP FUNCTION retention_runs_guard()",
    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$",
]


def upgrade() -> None:
    op.create_table(
        "retention_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("audit_cutoff", sa.DateTime(timezone=True)),
        sa.Column("deleted", sa.JSON),
    )
    op.create_table(
        "erasures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted", sa.JSON, nullable=False),
    )
    op.create_table(
        "erasure_keeps",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("erasure_id", sa.Integer, sa.ForeignKey("erasures.id"), nullable=False, index=True),
        sa.Column("record", sa.String(32), nullable=False),
        sa.Column("record_id", sa.Integer, nullable=False),
        sa.Column("reason", sa.String(255), nullable=False),
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for key in sa.inspect(bind).get_foreign_keys("audit_log"):
            if key["referred_table"] == "handoffs":
                op.drop_constraint(key["name"], "audit_log", type_="foreignkey")
        statements = POSTGRES_UP
    else:
        statements = SQLITE_UP
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    for statement in POSTGRES_DOWN if bind.dialect.name == "postgresql" else SQLITE_DOWN:
        op.execute(statement)
    if bind.dialect.name == "postgresql":
        op.create_foreign_key("audit_log_case_id_fkey", "audit_log", "handoffs", ["case_id"], ["id"])
    op.drop_table("erasure_keeps")
    op.drop_table("erasures")
    op.drop_table("retention_runs")
