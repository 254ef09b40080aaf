"""The Twilio channel's contacts (pseudonym to number, opt-out, WhatsApp window), inbox and outbox.

Revision ID: 0002_twilio
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_twilio"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contacts",
        sa.Column("sender_id", sa.String(64), primary_key=True),
        sa.Column("address", sa.String(64), nullable=False, unique=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("our_address", sa.String(64)),
        sa.Column("opted_out_at", sa.DateTime(timezone=True)),
        sa.Column("last_inbound_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "inbound_messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("message_sid", sa.String(64), nullable=False, unique=True),
        sa.Column("sender_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("num_media", sa.Integer, nullable=False),
        sa.Column("has_location", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_inbound_pending", "inbound_messages", ["status", "sender_id", "id"])
    op.create_table(
        "outbound_messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender_id", sa.String(64), index=True),
        sa.Column("to_address", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("inbound_id", sa.Integer, sa.ForeignKey("inbound_messages.id")),
        sa.Column("ignores_opt_out", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("twilio_sid", sa.String(64), unique=True),
        sa.Column("content_sid", sa.String(64)),
        sa.Column("error_code", sa.String(16)),
        sa.Column("error_message", sa.Text),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_outbound_queue", "outbound_messages", ["status", "to_address", "id"])


def downgrade() -> None:
    op.drop_table("outbound_messages")
    op.drop_table("inbound_messages")
    op.drop_table("contacts")
