"""Versions indexed once per fact: the source's own id only where it is not the key

Revision ID: 0009
Revises: 0008

Most sources key a row by their own id (LiteLLM: every row), so the index of
`source_id` repeated the key index entry for entry: 0.25 MB of the 5.3 MB the nine
LiteLLM releases left (issue 13). Now the key index leads with `key` (a row's
versions are still one seek on (key, source)) and so also finds a row by its own id
where that is the key; `source_id` is indexed only where it differs from the key.
`queries_versions.own_id_is` asks each index for its half. No data moves.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_DIFFERS = "source_id <> key"


def upgrade() -> None:
    op.create_index("ix_observation_key_source", "observation_version", ["key", "source"])
    op.drop_index("ix_observation_source_key", table_name="observation_version")
    op.drop_index("ix_observation_source_id", table_name="observation_version")
    op.create_index("ix_observation_source_id", "observation_version", ["source_id"],
                    sqlite_where=sa.text(_DIFFERS), postgresql_where=sa.text(_DIFFERS))


def downgrade() -> None:
    op.drop_index("ix_observation_source_id", table_name="observation_version")
    op.create_index("ix_observation_source_id", "observation_version", ["source_id"])
    op.create_index("ix_observation_source_key", "observation_version", ["source", "key"])
    op.drop_index("ix_observation_key_source", table_name="observation_version")
