"""observation_version: a partial index for shutdowns ahead

Revision ID: 0007
Revises: 0006

`upcoming`, the web page's timeline and the calendar feed ask for current rows
whose shutdown date falls in a range. Without an index that is a scan of every
current row (0.45 s on a synthetic year of 10,000 models); with it, a range
search over the few rows that state a date.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_WHERE = "valid_to IS NULL AND shutdown_on IS NOT NULL"


def upgrade() -> None:
    op.create_index("ix_observation_upcoming", "observation_version", ["shutdown_on"],
                    sqlite_where=sa.text(_WHERE), postgresql_where=sa.text(_WHERE))


def downgrade() -> None:
    op.drop_index("ix_observation_upcoming", table_name="observation_version")
