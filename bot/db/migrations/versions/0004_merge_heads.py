"""Join the three branches that grew from 0001 (dashboard, Twilio messaging, trainers' inbox) into
one head, so later migrations have a single parent.

Revision ID: 0004_merge
Revises: 0002_dashboard, 0002_twilio, 0003_training_inbox
"""
revision = "0004_merge"
down_revision = ("0002_dashboard", "0002_twilio", "0003_training_inbox")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: a merge revision only records that the branches meet here."""


def downgrade() -> None:
    """Nothing to undo."""
