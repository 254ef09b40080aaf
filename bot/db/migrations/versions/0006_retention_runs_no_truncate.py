"""`retention_runs` cannot be emptied with TRUNCATE on PostgreSQL.

Migration 0005_data_governance guards the rows (BEFORE UPDATE OR DELETE ... FOR EACH ROW), but
TRUNCATE fires no row triggers, so the record of every retention run could be wiped in one
statement. A statement-level BEFORE TRUNCATE trigger refuses it, as 0002_dashboard's
`audit_log_no_truncate` already does for the audit log. SQLite has no TRUNCATE (its
`DELETE FROM` without WHERE fires the row triggers 0005 added), so there is nothing to do there.

Revision ID: 0006_retention_runs_no_truncate
Revises: 0005_data_governance
"""
from alembic import op

revision = "0006_retention_runs_no_truncate"
down_revision = "0005_data_governance"
branch_labels = None
depends_on = None

POSTGRES_UP = [
    "CREATE FUNCTION retention_runs_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'retention_runs is append-only: it cannot be truncated'; END $$",
    "CREATE TRIGGER retention_runs_no_truncate BEFORE TRUNCATE ON retention_runs "
    "FOR EACH STATEMENT EXECUTE FUNCTION retention_runs_no_truncate()",
]
POSTGRES_DOWN = [
    "DROP TRIGGER retention_runs_no_truncate ON retention_runs",
    "DROP FUNCTION retention_runs_no_truncate()",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_UP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_DOWN:
            op.execute(statement)
