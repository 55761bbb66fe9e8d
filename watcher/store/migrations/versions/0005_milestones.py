"""observation_version.milestones: a row's dated steps besides its shutdown

Revision ID: 0005
Revises: 0004

OpenAI's product timelines (`Date | Update` tables) are one row per product:
its shutdown, and the other dates as milestones, one per line
("2026-10-31: Existing evals become read-only."). A nullable column: every
existing row has none. The analyst views keep their columns.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("observation_version", sa.Column("milestones", sa.String(), nullable=True))


def downgrade() -> None:
    op.drop_column("observation_version", "milestones")  # SQLite >= 3.35: a plain DROP COLUMN
