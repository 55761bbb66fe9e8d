"""A version leaves out the own id its key states and the url its run states

Revision ID: 0010
Revises: 0009

Most sources key a row by their own id and state one url for the whole document
(LiteLLM: every row), so each version repeated its key in `source_id` and its run's
url in `url`: 0.76 MB of the 5.05 MB the nine LiteLLM releases left (issue 13).
Such a value is now stored as '' and read back from the key, or from the url of the
run that wrote the version (`watcher.store.derived`); NULL still means none, and an
empty id or url, which '' would now read as the derived one, becomes none. The
source-id index holds only the ids stated (the key index finds the others), and the
two views that show them, current_models and upcoming_shutdowns, read them back the
same way, so they answer as before. The view SQL is written out, as in 0003.
"""

from __future__ import annotations

import importlib

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_V3 = importlib.import_module("watcher.store.migrations.versions.0003_views")

_SOURCE_ID = "CASE WHEN source_id = '' THEN key ELSE source_id END"
_URL = "CASE WHEN url = '' THEN (SELECT r.url FROM run AS r WHERE r.id = observation_version.run_id) ELSE url END"
_RUN_URL = "(SELECT r.url FROM run AS r WHERE r.id = observation_version.run_id)"

CURRENT_MODELS = f"""
CREATE VIEW current_models AS
SELECT source, key, provider, model, {_SOURCE_ID} AS source_id, distribution, is_model, status,
       announced_on, shutdown_on, shutdown_qualifier, replacement, aliases, prices,
       availability, section, {_URL} AS url, valid_from, run_id
FROM observation_version
WHERE valid_to IS NULL
"""

_UPCOMING = f"""
CREATE VIEW upcoming_shutdowns AS
SELECT source, key, provider, model, is_model, status, announced_on, shutdown_on, shutdown_qualifier,
       replacement, {{days_left}} AS days_left, {_URL} AS url
FROM observation_version
WHERE valid_to IS NULL AND shutdown_on >= {{today}}
"""
UPCOMING_SQLITE = _UPCOMING.format(
    days_left="CAST(julianday(shutdown_on) - julianday(date('now')) AS INTEGER)", today="date('now')"
)
UPCOMING_POSTGRESQL = _UPCOMING.format(
    days_left="(shutdown_on - (now() AT TIME ZONE 'UTC')::date)", today="(now() AT TIME ZONE 'UTC')::date"
)


def _views(current: str, upcoming: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP VIEW current_models")
        op.execute("DROP VIEW upcoming_shutdowns")
        op.execute(current)
        op.execute(upcoming)
    else:  # in place: the columns are the same, and GRANTs on the views stay
        op.execute(current.replace("CREATE VIEW", "CREATE OR REPLACE VIEW", 1))
        op.execute(upcoming.replace("CREATE VIEW", "CREATE OR REPLACE VIEW", 1))


def _source_id_index(where: str) -> None:
    op.drop_index("ix_observation_source_id", table_name="observation_version")
    op.create_index("ix_observation_source_id", "observation_version", ["source_id"],
                    sqlite_where=sa.text(where), postgresql_where=sa.text(where))


def upgrade() -> None:
    op.execute("UPDATE observation_version SET source_id = NULL WHERE source_id = ''")
    op.execute("UPDATE observation_version SET source_id = '' WHERE source_id = key")
    op.execute("UPDATE observation_version SET url = NULL WHERE url = ''")
    op.execute(f"UPDATE observation_version SET url = '' WHERE url = {_RUN_URL}")
    _source_id_index("source_id <> ''")
    sqlite = op.get_bind().dialect.name == "sqlite"
    _views(CURRENT_MODELS, UPCOMING_SQLITE if sqlite else UPCOMING_POSTGRESQL)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    _views(_V3.CURRENT_MODELS, _V3.UPCOMING_SQLITE if sqlite else _V3.UPCOMING_POSTGRESQL)
    op.execute("UPDATE observation_version SET source_id = key WHERE source_id = ''")
    op.execute(f"UPDATE observation_version SET url = {_RUN_URL} WHERE url = ''")
    _source_id_index("source_id <> key")
