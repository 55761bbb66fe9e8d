"""delivery (outbox), silence, reminder_sent, lease; change.silence_id

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from watcher.store.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("dedupe_key", sa.String(), nullable=False, unique=True),
        sa.Column("channel", sa.String(100), nullable=False),
        sa.Column("route", sa.String(100), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("body_text", sa.String(), nullable=False),
        sa.Column("body_markdown", sa.String(), nullable=False),
        sa.Column("body_html", sa.String(), nullable=False),
        sa.Column("change_ids", sa.String(), nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_delivery_status_next", "delivery", ["status", "next_attempt_at"])

    op.create_table(
        "silence",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("model", sa.String(), nullable=False),
        sa.Column("source", sa.String(100), nullable=True),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("until", UTCDateTime(), nullable=False),
        sa.Column("expired_at", UTCDateTime(), nullable=True),
    )
    with op.batch_alter_table("change") as batch:
        batch.add_column(sa.Column("silence_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_change_silence_id", "silence", ["silence_id"], ["id"])

    op.create_table(
        "reminder_sent",
        sa.Column("model", sa.String(), primary_key=True),
        sa.Column("shutdown_on", sa.Date(), primary_key=True),
        sa.Column("days", sa.Integer(), primary_key=True),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "lease",
        sa.Column("name", sa.String(50), primary_key=True),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("acquired_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("lease")
    op.drop_table("reminder_sent")
    with op.batch_alter_table("change") as batch:
        batch.drop_constraint("fk_change_silence_id", type_="foreignkey")
        batch.drop_column("silence_id")
    op.drop_table("silence")
    op.drop_table("delivery")
