"""The trainers' inbox of misunderstood messages (redacted) and the collector's cursor.

Revision ID: 0003_training_inbox
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_training_inbox"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "training_inbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source_event_id", sa.BigInteger, unique=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("predicted_intent", sa.String(128)),
        sa.Column("confidence", sa.Float),
        sa.Column("risk_category", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("label", sa.String(128)),
        sa.Column("labelled_by", sa.String(255)),
        sa.Column("labelled_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_training_inbox_status", "training_inbox", ["status"])
    op.create_table(
        "training_inbox_cursor",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("last_event_id", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("training_inbox_cursor")
    op.drop_index("ix_training_inbox_status", table_name="training_inbox")
    op.drop_table("training_inbox")
