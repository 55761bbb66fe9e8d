"""price_history: each price also as a number (price_value), beside its exact decimal text

Revision ID: 0006
Revises: 0005

`price` stays the exact decimal text the source stated; `price_value` is the
same price as a number (REAL on SQLite, NUMERIC on PostgreSQL), so Datasette,
spreadsheets and `ORDER BY` sort 9.996 below 55000. It is the last column:
PostgreSQL can then replace the view in place, keeping any GRANT an analyst
role holds on it. The period logic is revision 0003's, unchanged.
"""

from __future__ import annotations

import importlib

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_V3 = importlib.import_module("watcher.store.migrations.versions.0003_views")
_COLUMNS = "source, key, provider, model, price_key, component, unit, tier, variant, price, valid_from, valid_to"


def _with_numbers(view_sql: str, number: str, create: str) -> str:
    body = view_sql.replace("CREATE VIEW price_history AS", "", 1)
    return f"{create} price_history AS\nSELECT {_COLUMNS}, {number} AS price_value\nFROM ({body}) AS periods\n"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP VIEW price_history")
        op.execute(_with_numbers(_V3.PRICE_HISTORY_SQLITE, "CAST(price AS REAL)", "CREATE VIEW"))
    else:
        op.execute(_with_numbers(_V3.PRICE_HISTORY_POSTGRESQL, "CAST(price AS NUMERIC)", "CREATE OR REPLACE VIEW"))


def downgrade() -> None:
    op.execute("DROP VIEW price_history")
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.execute(_V3.PRICE_HISTORY_SQLITE if sqlite else _V3.PRICE_HISTORY_POSTGRESQL)
