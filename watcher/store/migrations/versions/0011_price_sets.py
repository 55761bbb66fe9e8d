"""A version names its prices by a set stored once

Revision ID: 0011
Revises: 0010

Most versions repeat prices another version already states: the nine LiteLLM
releases leave 5,470 versions but 1,684 distinct sets, and the JSON text was
0.82 MB of the 4.28 MB file (issue 13). The sets move to `price_set`, numbered in
the order versions first stated them and found by the first 32 bits of their text's
SHA-256 (`watcher.store.codec.price_digest`; PostgreSQL computes the same in SQL,
SQLite through that function), and a version keeps the number in `price_set`. The
two views that read prices, current_models and price_history, read them through the
set and answer as before; their SQL is revision 0010's and 0006's with only the
prices' source changed. There is no foreign key: SQLite cannot drop a column that
has one, and the writer stores a set before the versions that name it.

The index of a row's versions holds the key alone (`ix_observation_key`): few
sources share a key, so the source is checked in the row, and the index is 0.05 MB
smaller after the nine releases.

On SQLite the space the dropped column held is reused by later writes; `VACUUM`
gives it back to the file system at once.
"""

from __future__ import annotations

import importlib

import sqlalchemy as sa
from alembic import op

from watcher.store.codec import price_digest

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_V3 = importlib.import_module("watcher.store.migrations.versions.0003_views")
_V6 = importlib.import_module("watcher.store.migrations.versions.0006_price_numbers")
_V10 = importlib.import_module("watcher.store.migrations.versions.0010_derived_ids")

_SET = "(SELECT s.prices FROM price_set AS s WHERE s.id = {v}.price_set)"
# PostgreSQL: the SHA-256's first 4 bytes as a signed integer, as price_digest computes it.
_PG_DIGEST = "('x' || left(encode(sha256(convert_to({col}, 'UTF8')), 'hex'), 8))::bit(32)::integer"


def _replaced(sql: str, *pairs: tuple[str, str]) -> str:
    for old, new in pairs:
        assert old in sql, old  # the earlier revision's SQL is what this one rewrites
        sql = sql.replace(old, new)
    return sql


CURRENT_MODELS = _replaced(_V10.CURRENT_MODELS, (" prices,", f" {_SET.format(v='observation_version')} AS prices,"))
PRICE_HISTORY_SQLITE = _V6._with_numbers(_replaced(
    _V3.PRICE_HISTORY_SQLITE,
    ("observation_version AS v, json_each(v.prices) AS p",
     "observation_version AS v JOIN price_set AS vp ON vp.id = v.price_set, json_each(vp.prices) AS p"),
    ("json_extract(w.prices,", f"json_extract({_SET.format(v='w')},"),
    ("json_extract(b.prices,", f"json_extract({_SET.format(v='b')},"),
    ("WHERE v.prices IS NOT NULL", "WHERE v.price_set IS NOT NULL"),
), "CAST(price AS REAL)", "CREATE VIEW")
PRICE_HISTORY_POSTGRESQL = _V6._with_numbers(_replaced(
    _V3.PRICE_HISTORY_POSTGRESQL,
    ("observation_version AS v CROSS JOIN LATERAL jsonb_each_text(v.prices::jsonb)",
     "observation_version AS v JOIN price_set AS vp ON vp.id = v.price_set"
     " CROSS JOIN LATERAL jsonb_each_text(vp.prices::jsonb)"),
    ("(w.prices::jsonb", f"({_SET.format(v='w')}::jsonb"),
    ("(b.prices::jsonb", f"({_SET.format(v='b')}::jsonb"),
    ("WHERE v.prices IS NOT NULL", "WHERE v.price_set IS NOT NULL"),
), "CAST(price AS NUMERIC)", "CREATE OR REPLACE VIEW")

OLD_PRICE_HISTORY_SQLITE = _V6._with_numbers(_V3.PRICE_HISTORY_SQLITE, "CAST(price AS REAL)", "CREATE VIEW")
OLD_PRICE_HISTORY_POSTGRESQL = _V6._with_numbers(
    _V3.PRICE_HISTORY_POSTGRESQL, "CAST(price AS NUMERIC)", "CREATE OR REPLACE VIEW")


def _sqlite() -> bool:
    return bool(op.get_bind().dialect.name == "sqlite")


def _move(drop: str, current: str, history: str) -> None:
    """Replace both views with `current` and `history` and drop the column `drop`, which
    neither may read any more while it goes."""
    if _sqlite():
        op.execute("DROP VIEW current_models")
        op.execute("DROP VIEW price_history")
        op.execute(f"ALTER TABLE observation_version DROP COLUMN {drop}")
        op.execute(current)
        op.execute(history)
    else:  # in place: the columns are the same, and GRANTs on the views stay
        op.execute(current.replace("CREATE VIEW", "CREATE OR REPLACE VIEW", 1))
        op.execute(history)
        op.execute(f"ALTER TABLE observation_version DROP COLUMN {drop}")


def upgrade() -> None:
    sqlite = _sqlite()
    op.create_table("price_set", sa.Column("id", sa.Integer(), primary_key=True),
                    sa.Column("digest", sa.Integer(), nullable=False), sa.Column("prices", sa.String(), nullable=False))
    op.create_index("ix_price_set_digest", "price_set", ["digest"])
    op.add_column("observation_version", sa.Column("price_set", sa.Integer(), nullable=True))
    if sqlite:
        op.get_bind().connection.driver_connection.create_function(  # type: ignore[union-attr]
            "price_digest", 1, price_digest, deterministic=True)
        digest = "price_digest({col})"
    else:
        digest = _PG_DIGEST
    op.execute(f"INSERT INTO price_set (digest, prices) SELECT {digest.format(col='prices')}, prices"
               " FROM observation_version WHERE prices IS NOT NULL GROUP BY prices ORDER BY min(id)")
    stated = digest.format(col="observation_version.prices")
    op.execute(f"UPDATE observation_version SET price_set = (SELECT s.id FROM price_set AS s WHERE s.digest = {stated}"
               " AND s.prices = observation_version.prices) WHERE prices IS NOT NULL")
    _move("prices", CURRENT_MODELS, PRICE_HISTORY_SQLITE if sqlite else PRICE_HISTORY_POSTGRESQL)
    op.drop_index("ix_observation_key_source", table_name="observation_version")
    op.create_index("ix_observation_key", "observation_version", ["key"])


def downgrade() -> None:
    sqlite = _sqlite()
    op.drop_index("ix_observation_key", table_name="observation_version")
    op.create_index("ix_observation_key_source", "observation_version", ["key", "source"])
    op.execute("ALTER TABLE observation_version ADD COLUMN prices VARCHAR")
    op.execute(f"UPDATE observation_version SET prices = {_SET.format(v='observation_version')}"
               " WHERE price_set IS NOT NULL")
    _move("price_set", _V10.CURRENT_MODELS, OLD_PRICE_HISTORY_SQLITE if sqlite else OLD_PRICE_HISTORY_POSTGRESQL)
    op.execute("DROP TABLE price_set")
