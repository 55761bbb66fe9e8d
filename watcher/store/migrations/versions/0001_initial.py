"""run, document, observation_version, change, absence

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from watcher.store.types import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("trigger", sa.String(20), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("observed_at", UTCDateTime(), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("url", sa.String(), nullable=True),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("bytes", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("etag", sa.String(), nullable=True),
        sa.Column("last_modified", sa.String(), nullable=True),
        sa.Column("content_hash", sa.String(64), nullable=True),
        sa.Column("parser_version", sa.String(20), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=True),
        sa.Column("changes", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(), nullable=True),
    )
    op.create_index("ix_run_source_started", "run", ["source", "started_at"])

    op.create_table(
        "document",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("content_type", sa.String(), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("compression", sa.String(10), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("first_seen_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_document_source", "document", ["source"])

    op.create_table(
        "observation_version",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("provider", sa.String(), nullable=False),
        sa.Column("model", sa.String(), nullable=False),
        sa.Column("source_id", sa.String(), nullable=True),
        sa.Column("distribution", sa.String(), nullable=True),
        sa.Column("is_model", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(20), nullable=True),
        sa.Column("announced_on", sa.Date(), nullable=True),
        sa.Column("shutdown_on", sa.Date(), nullable=True),
        sa.Column("shutdown_qualifier", sa.String(20), nullable=True),
        sa.Column("replacement", sa.String(), nullable=True),
        sa.Column("aliases", sa.String(), nullable=True),
        sa.Column("prices", sa.String(), nullable=True),
        sa.Column("availability", sa.String(), nullable=True),
        sa.Column("section", sa.String(), nullable=True),
        sa.Column("url", sa.String(), nullable=True),
        sa.Column("valid_from", UTCDateTime(), nullable=False),
        sa.Column("valid_to", UTCDateTime(), nullable=True),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("run.id"), nullable=False),
    )
    op.create_index(
        "ux_observation_current",
        "observation_version",
        ["source", "key"],
        unique=True,
        sqlite_where=sa.text("valid_to IS NULL"),
        postgresql_where=sa.text("valid_to IS NULL"),
    )
    op.create_index("ix_observation_source_key", "observation_version", ["source", "key", "valid_from"])
    op.create_index("ix_observation_model", "observation_version", ["model"])

    op.create_table(
        "change",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("run.id"), nullable=True),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("provider", sa.String(), nullable=True),
        sa.Column("model", sa.String(), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("field", sa.String(), nullable=True),
        sa.Column("old", sa.String(), nullable=True),
        sa.Column("new", sa.String(), nullable=True),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("note", sa.String(), nullable=True),
        sa.Column("detected_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_change_run_id", "change", ["run_id"])
    op.create_index("ix_change_detected", "change", ["detected_at"])
    op.create_index("ix_change_source_detected", "change", ["source", "detected_at"])
    op.create_index("ix_change_model", "change", ["model"])

    op.create_table(
        "absence",
        sa.Column("source", sa.String(100), primary_key=True),
        sa.Column("key", sa.String(), primary_key=True),
        sa.Column("misses", sa.Integer(), nullable=False),
        sa.Column("first_missed_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    for table in ("absence", "change", "observation_version", "document", "run"):
        op.drop_table(table)
