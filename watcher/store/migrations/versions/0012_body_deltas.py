"""A raw body may be stored as a delta against an earlier one

Revision ID: 0012
Revises: 0011

A new body of a source is stored as a zstd delta against the source's previous body
(compression `zstd-delta`), which `document.base` names by its sha256; see
`watcher.store.bodies` (issue 13: the eight later of the nine LiteLLM releases take
0.12 MB instead of 0.46 MB). The bodies already stored stay as they are, whole, and
read as before: re-encoding a year's archive would hold the write lock for as long as
decoding and compressing all of it takes, for bodies retention prunes in time anyway.
New bodies are stored against them.

Downgrading stores every delta whole again (xz) before the column goes, so the
previous release reads every body.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from watcher.store import bodies

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_DOCUMENT = sa.table("document", sa.column("sha256", sa.String), sa.column("compression", sa.String),
                     sa.column("body", sa.LargeBinary), sa.column("base", sa.String))


def upgrade() -> None:
    op.add_column("document", sa.Column("base", sa.String(length=64), nullable=True))


def downgrade() -> None:
    connection = op.get_bind()
    deltas = connection.execute(sa.select(_DOCUMENT.c.sha256).where(_DOCUMENT.c.compression == bodies.DELTA)
                                .order_by(_DOCUMENT.c.sha256)).scalars().all()
    for digest in deltas:  # one body in memory at a time; each stays readable as it is rewritten
        body = _body(connection, digest)
        connection.execute(_DOCUMENT.update().where(_DOCUMENT.c.sha256 == digest)
                           .values(compression=bodies.FULL, body=bodies.encode_full(body), base=None))
    op.drop_column("document", "base")


def _body(connection: sa.Connection, digest: str) -> bytes:
    def row(wanted: str) -> bodies.Row | None:
        found = connection.execute(sa.select(_DOCUMENT.c.compression, _DOCUMENT.c.body, _DOCUMENT.c.base)
                                   .where(_DOCUMENT.c.sha256 == wanted)).first()
        return None if found is None else (found.compression, found.body, found.base)

    body = bodies.resolve(digest, row)
    assert body is not None  # the digest was just read from the table
    return body
