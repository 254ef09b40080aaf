"""Delivery statuses that arrive before the send has recorded the message's sid (`early_statuses`).

Revision ID: 0007_early_statuses
Revises: 0006_retention_runs_no_truncate
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_early_statuses"
down_revision = "0006_retention_runs_no_truncate"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "early_statuses",
        sa.Column("twilio_sid", sa.String(64), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error_code", sa.String(16)),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_early_statuses_received_at", "early_statuses", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_early_statuses_received_at", "early_statuses")
    op.drop_table("early_statuses")
