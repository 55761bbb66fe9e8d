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
# price for the same key are one period (a status change does not start a new
# price period); a changed or removed price, or a gap (delisted, listed again),
# ends it. A version starts a period unless its direct predecessor (the version
# it replaced) had the same price; the period ends at the first later version
# with another price, or where a version was closed without a successor. Written
# with correlated subqueries, not window functions, so that a filter such as
# `WHERE model = 'gpt-4o'` is applied first, through the indexes.
_PRICE_PERIODS = """
SELECT v.source, v.key, v.provider, v.model, p.key AS price_key, p.value AS price, v.valid_from,
       (SELECT CASE WHEN {price_w} {differs} p.value THEN w.valid_from ELSE w.valid_to END
        FROM observation_version AS w
        WHERE w.source = v.source AND w.key = v.key AND w.valid_from >= v.valid_from
          AND ({price_w} {differs} p.value OR w.valid_to IS NULL
               OR NOT EXISTS (SELECT 1 FROM observation_version AS n
                              WHERE n.source = w.source AND n.key = w.key AND n.valid_from = w.valid_to))
        ORDER BY w.valid_from
        LIMIT 1) AS valid_to
FROM {expand}
WHERE v.prices IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM observation_version AS b
                  WHERE b.source = v.source AND b.key = v.key AND b.valid_to = v.valid_from
                    AND {price_b} {same} p.value)
"""

PRICE_HISTORY_SQLITE = """
CREATE VIEW price_history AS
SELECT source, key, provider, model, price_key, component, unit,
       CASE instr(rest2, '/') WHEN 0 THEN rest2 ELSE substr(rest2, 1, instr(rest2, '/') - 1) END AS tier,
       CASE instr(rest2, '/') WHEN 0 THEN NULL ELSE substr(rest2, instr(rest2, '/') + 1) END AS variant,
       price, valid_from, valid_to
FROM (
    SELECT periods.*, substr(rest, 1, instr(rest, '/') - 1) AS unit, substr(rest, instr(rest, '/') + 1) AS rest2
    FROM (
        SELECT periods.*, substr(price_key, 1, instr(price_key, '/') - 1) AS component,
               substr(price_key, instr(price_key, '/') + 1) AS rest
        FROM ({periods}) AS periods
    ) AS periods
) AS periods
""".format(periods=_PRICE_PERIODS.format(
    expand="observation_version AS v, json_each(v.prices) AS p",
    price_w="json_extract(w.prices, '$.\"' || p.key || '\"')",
    price_b="json_extract(b.prices, '$.\"' || p.key || '\"')",
    differs="IS NOT", same="IS"))

PRICE_HISTORY_POSTGRESQL = """
CREATE VIEW price_history AS
SELECT source, key, provider, model, price_key,
       split_part(price_key, '/', 1) AS component,
       split_part(price_key, '/', 2) AS unit,
       split_part(price_key, '/', 3) AS tier,
       substring(price_key from '^[^/]*/[^/]*/[^/]*/(.+)$') AS variant,
       price, valid_from, valid_to
FROM ({periods}) AS periods
""".format(periods=_PRICE_PERIODS.format(
    expand="observation_version AS v CROSS JOIN LATERAL jsonb_each_text(v.prices::jsonb) AS p(key, value)",
    price_w="(w.prices::jsonb ->> p.key)", price_b="(b.prices::jsonb ->> p.key)",
    differs="IS DISTINCT FROM", same="IS NOT DISTINCT FROM"))

# One row per period during which a row's lifecycle facts held; versions that
# changed only prices (or aliases) are merged away. Built like price_history.
_LIFECYCLE_FIELDS = ("status", "announced_on", "shutdown_on", "shutdown_qualifier", "replacement", "availability")
_LIFECYCLE = """
CREATE VIEW lifecycle_history AS
SELECT v.source, v.key, v.provider, v.model, {fields}, v.valid_from,
       (SELECT CASE WHEN NOT ({w_same}) THEN w.valid_from ELSE w.valid_to END
        FROM observation_version AS w
        WHERE w.source = v.source AND w.key = v.key AND w.valid_from >= v.valid_from
          AND (NOT ({w_same}) OR w.valid_to IS NULL
               OR NOT EXISTS (SELECT 1 FROM observation_version AS n
                              WHERE n.source = w.source AND n.key = w.key AND n.valid_from = w.valid_to))
        ORDER BY w.valid_from
        LIMIT 1) AS valid_to
FROM observation_version AS v
WHERE NOT EXISTS (SELECT 1 FROM observation_version AS b
                  WHERE b.source = v.source AND b.key = v.key AND b.valid_to = v.valid_from AND {b_same})
"""


def _lifecycle(same: str) -> str:
    def alike(alias: str) -> str:
        return " AND ".join(f"{alias}.{f} {same} v.{f}" for f in _LIFECYCLE_FIELDS)

    return _LIFECYCLE.format(fields=", ".join(f"v.{f}" for f in _LIFECYCLE_FIELDS),
                             w_same=alike("w"), b_same=alike("b"))


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
