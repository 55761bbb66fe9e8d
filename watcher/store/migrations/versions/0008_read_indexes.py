"""Two indexes the web's reads need: a source's newest observation, a row's date moves

Revision ID: 0008
Revises: 0007

`run (source, observed_at)`: two reads ask for a source's newest observation time:
`watcher show`, the web dossier and the API's `models/…` (`catalog.last_seen`: the
newest successful run's `observed_at` per source), and every poll
(`polls.latest_observed_at`, which tells a backfill from a live poll). Through the
(source, started_at) index both walked every run of the source: 30 ms a dossier and
8 ms a poll on a synthetic year of hourly runs; with this index each is one seek
(< 0.1 ms). `observed_at` is not `started_at` (a backfill observes the past), so the
index that exists cannot answer it. About 1.7 MB on that year (1.4 % of the file).

`change (source, key) WHERE kind = 'shutdown_date'`: the calendar feed gives each
event a SEQUENCE, how many times the row's shutdown date moved, and a LAST-MODIFIED,
when it last did (`readers.shutdown_revisions`). Without it that is a scan of every
change (12 ms on the year, growing with it); partial, so it holds only the few
shutdown-date changes (about 0.1 MB on the year).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_SHUTDOWN = "kind = 'shutdown_date'"


def upgrade() -> None:
    op.create_index("ix_run_source_observed", "run", ["source", "observed_at"])
    op.create_index("ix_change_shutdown", "change", ["source", "key"],
                    sqlite_where=sa.text(_SHUTDOWN), postgresql_where=sa.text(_SHUTDOWN))


def downgrade() -> None:
    op.drop_index("ix_change_shutdown", table_name="change")
    op.drop_index("ix_run_source_observed", table_name="run")
