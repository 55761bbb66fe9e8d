"""analyst views: current_models, price_history, lifecycle_history, upcoming_shutdowns, source_health;
indexes to find a model's rows by the source's id or an alias

Revision ID: 0003
Revises: 0002

The SQL is written out here, not generated from code, so that this revision
creates the same views forever. SQLite and PostgreSQL differ in three places
only: expanding the prices JSON (json_each vs jsonb_each_text), splitting a
price key, and today's date in UTC. docs/analysts.md explains each view.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

CURRENT_MODELS = """
CREATE VIEW current_models AS
SELECT source, key, provider, model, source_id, distribution, is_model, status,
       announced_on, shutdown_on, shutdown_qualifier, replacement, aliases, prices,
       availability, section, url, valid_from, run_id
FROM observation_version
WHERE valid_to IS NULL
"""

# One row per price *period*: consecutive versions of a row that carry the same
# price for the same key are merged (a status change does not start a new price
# period), and a gap (delisted, listed again) or a removed price ends a period.
_PRICE_PERIODS = """
WITH expanded AS (
    SELECT v.source, v.key, v.provider, v.model, p.key AS price_key, p.value AS price,
           v.valid_from, v.valid_to
    FROM {expand}
    WHERE v.prices IS NOT NULL
), marked AS (
    SELECT e.*,
           CASE WHEN LAG(price) OVER w = price AND LAG(valid_to) OVER w = valid_from
                THEN 0 ELSE 1 END AS starts
    FROM expanded AS e
    WINDOW w AS (PARTITION BY source, key, price_key ORDER BY valid_from)
), periods AS (
    SELECT m.*,
           SUM(starts) OVER (PARTITION BY source, key, price_key ORDER BY valid_from
                             ROWS UNBOUNDED PRECEDING) AS period
    FROM marked AS m
), merged AS (
    SELECT source, key, MAX(provider) AS provider, MAX(model) AS model, price_key, price,
           MIN(valid_from) AS valid_from,
           CASE WHEN COUNT(valid_to) < COUNT(*) THEN NULL ELSE MAX(valid_to) END AS valid_to
    FROM periods
    GROUP BY source, key, price_key, period, price
)
"""

PRICE_HISTORY_SQLITE = (
    "CREATE VIEW price_history AS\n"
    + _PRICE_PERIODS.format(expand="observation_version AS v, json_each(v.prices) AS p")
    + """, split AS (
    SELECT merged.*, substr(price_key, 1, instr(price_key, '/') - 1) AS component,
           substr(price_key, instr(price_key, '/') + 1) AS rest
    FROM merged
), split2 AS (
    SELECT split.*, substr(rest, 1, instr(rest, '/') - 1) AS unit,
           substr(rest, instr(rest, '/') + 1) AS rest2
    FROM split
)
SELECT source, key, provider, model, price_key, component, unit,
       CASE instr(rest2, '/') WHEN 0 THEN rest2 ELSE substr(rest2, 1, instr(rest2, '/') - 1) END AS tier,
       CASE instr(rest2, '/') WHEN 0 THEN NULL ELSE substr(rest2, instr(rest2, '/') + 1) END AS variant,
       price, valid_from, valid_to
FROM split2
"""
)

PRICE_HISTORY_POSTGRESQL = (
    "CREATE VIEW price_history AS\n"
    + _PRICE_PERIODS.format(
        expand="observation_version AS v CROSS JOIN LATERAL jsonb_each_text(v.prices::jsonb) AS p(key, value)"
    )
    + """
SELECT source, key, provider, model, price_key,
       split_part(price_key, '/', 1) AS component,
       split_part(price_key, '/', 2) AS unit,
       split_part(price_key, '/', 3) AS tier,
       substring(price_key from '^[^/]*/[^/]*/[^/]*/(.+)$') AS variant,
       price, valid_from, valid_to
FROM merged
"""
)

# One row per period during which a row's lifecycle facts held; price-only
# versions are merged away. `{same}` is the NULL-safe equality of each dialect.
_LIFECYCLE_FIELDS = ("status", "announced_on", "shutdown_on", "shutdown_qualifier", "replacement", "availability")
_LIFECYCLE = """
CREATE VIEW lifecycle_history AS
WITH marked AS (
    SELECT v.source, v.key, v.provider, v.model, {fields}, v.valid_from, v.valid_to,
           CASE WHEN LAG(v.valid_to) OVER w = v.valid_from AND {unchanged} THEN 0 ELSE 1 END AS starts
    FROM observation_version AS v
    WINDOW w AS (PARTITION BY v.source, v.key ORDER BY v.valid_from)
), periods AS (
    SELECT m.*,
           SUM(starts) OVER (PARTITION BY source, key ORDER BY valid_from ROWS UNBOUNDED PRECEDING) AS period
    FROM marked AS m
)
SELECT source, key, MAX(provider) AS provider, MAX(model) AS model, {plain_fields},
       MIN(valid_from) AS valid_from,
       CASE WHEN COUNT(valid_to) < COUNT(*) THEN NULL ELSE MAX(valid_to) END AS valid_to
FROM periods
GROUP BY source, key, period, {plain_fields}
"""


def _lifecycle(same: str) -> str:
    unchanged = " AND ".join(f"LAG(v.{f}) OVER w {same} v.{f}" for f in _LIFECYCLE_FIELDS)
    return _LIFECYCLE.format(
        fields=", ".join(f"v.{f}" for f in _LIFECYCLE_FIELDS),
        unchanged=unchanged,
        plain_fields=", ".join(_LIFECYCLE_FIELDS),
    )


_UPCOMING = """
CREATE VIEW upcoming_shutdowns AS
SELECT source, key, provider, model, is_model, status, announced_on, shutdown_on, shutdown_qualifier,
       replacement, {days_left} AS days_left, url
FROM observation_version
WHERE valid_to IS NULL AND shutdown_on >= {today}
"""
UPCOMING_SQLITE = _UPCOMING.format(
    days_left="CAST(julianday(shutdown_on) - julianday(date('now')) AS INTEGER)", today="date('now')"
)
UPCOMING_POSTGRESQL = _UPCOMING.format(
    days_left="(shutdown_on - (now() AT TIME ZONE 'UTC')::date)", today="(now() AT TIME ZONE 'UTC')::date"
)

# Portable SQL. A source's latest run is the one started last (archives ingested
# later carry their capture time, so the highest id is not always the latest).
SOURCE_HEALTH = """
CREATE VIEW source_health AS
WITH sources AS (
    SELECT source, COUNT(*) AS runs,
           SUM(CASE WHEN outcome IN ('failed', 'refused') THEN 1 ELSE 0 END) AS failed_runs
    FROM run
    GROUP BY source
), latest AS (
    SELECT s.*,
           (SELECT r.id FROM run AS r WHERE r.source = s.source
             ORDER BY r.started_at DESC, r.id DESC LIMIT 1) AS last_id,
           (SELECT r.id FROM run AS r
             WHERE r.source = s.source AND r.outcome IN ('changed', 'unchanged', 'not_modified', 'baseline')
             ORDER BY r.started_at DESC, r.id DESC LIMIT 1) AS last_ok_id
    FROM sources AS s
)
SELECT l.source,
       last_run.started_at AS last_run_at,
       last_run.outcome AS last_outcome,
       CASE WHEN last_run.outcome IN ('failed', 'refused') THEN last_run.error END AS last_error,
       last_ok.observed_at AS last_success_at,
       (SELECT COUNT(*) FROM run AS f
         WHERE f.source = l.source AND f.outcome IN ('failed', 'refused')
           AND (last_ok.id IS NULL OR f.started_at > last_ok.started_at)) AS consecutive_failures,
       l.runs,
       l.failed_runs,
       (SELECT COUNT(*) FROM observation_version AS v
         WHERE v.source = l.source AND v.valid_to IS NULL) AS current_rows,
       (SELECT MAX(c.detected_at) FROM change AS c
         WHERE c.source = l.source AND c.kind <> 'source_health') AS last_change_at
FROM latest AS l
JOIN run AS last_run ON last_run.id = l.last_id
LEFT JOIN run AS last_ok ON last_ok.id = l.last_ok_id
"""

VIEWS = ("source_health", "upcoming_shutdowns", "lifecycle_history", "price_history", "current_models")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.execute(CURRENT_MODELS)
    op.execute(PRICE_HISTORY_SQLITE if sqlite else PRICE_HISTORY_POSTGRESQL)
    op.execute(_lifecycle("IS") if sqlite else _lifecycle("IS NOT DISTINCT FROM"))
    op.execute(UPCOMING_SQLITE if sqlite else UPCOMING_POSTGRESQL)
    op.execute(SOURCE_HEALTH)
    # `watcher history ID` finds rows by any spelling: the model, the source's own id, or an alias.
    op.create_index("ix_observation_source_id", "observation_version", ["source_id"])
    op.create_index("ix_observation_aliases", "observation_version", ["aliases"],
                    sqlite_where=sa.text("aliases IS NOT NULL"),
                    postgresql_where=sa.text("aliases IS NOT NULL"))


def downgrade() -> None:
    op.drop_index("ix_observation_aliases", "observation_version")
    op.drop_index("ix_observation_source_id", "observation_version")
    for name in VIEWS:
        op.execute(f"DROP VIEW IF EXISTS {name}")
