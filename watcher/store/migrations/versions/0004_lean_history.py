"""lean history: index only what queries read; raw documents kept as xz

Revision ID: 0004
Revises: 0003

Issue 13 measured where the bytes of nine LiteLLM releases went. Dropped: the
change indexes by source, model and run (no query reads a range of them; the
per-poll lookups of a source's health alert and of open disagreements get small
partial indexes instead) and valid_from in the (source, key) index of versions.
Raw bodies are recompressed from zlib to xz (25% smaller on JSON catalogs), one
at a time so the migration's memory stays that of one document. No row of
structured history is touched.
"""

from __future__ import annotations

import lzma
import zlib
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_HEALTH = sa.text("kind = 'source_health'")
_DISAGREEMENT = sa.text("kind = 'disagreement'")


def upgrade() -> None:
    op.drop_index("ix_change_source_detected", "change")
    op.drop_index("ix_change_model", "change")
    op.drop_index("ix_change_run_id", "change")
    op.create_index("ix_change_health", "change", ["source"], sqlite_where=_HEALTH, postgresql_where=_HEALTH)
    op.create_index("ix_change_disagreement", "change", ["key"], sqlite_where=_DISAGREEMENT,
                    postgresql_where=_DISAGREEMENT)
    op.drop_index("ix_observation_source_key", "observation_version")
    op.create_index("ix_observation_source_key", "observation_version", ["source", "key"])
    _recompress("zlib", "xz")


def downgrade() -> None:
    _recompress("xz", "zlib")
    op.drop_index("ix_observation_source_key", "observation_version")
    op.create_index("ix_observation_source_key", "observation_version", ["source", "key", "valid_from"])
    op.drop_index("ix_change_disagreement", "change")
    op.drop_index("ix_change_health", "change")
    op.create_index("ix_change_run_id", "change", ["run_id"])
    op.create_index("ix_change_model", "change", ["model"])
    op.create_index("ix_change_source_detected", "change", ["source", "detected_at"])


_CODECS: dict[str, tuple[Callable[[bytes], bytes], Callable[[bytes], bytes]]] = {
    "zlib": (zlib.decompress, lambda body: zlib.compress(body, 6)),
    "xz": (lzma.decompress, lambda body: lzma.compress(body, preset=2)),
}


def _recompress(old: str, new: str) -> None:
    connection = op.get_bind()
    document = sa.table("document", sa.column("sha256", sa.String), sa.column("compression", sa.String),
                        sa.column("body", sa.LargeBinary))
    unpack, pack = _CODECS[old][0], _CODECS[new][1]
    digests = connection.execute(sa.select(document.c.sha256).where(document.c.compression == old)).scalars().all()
    for digest in digests:
        body = connection.execute(sa.select(document.c.body).where(document.c.sha256 == digest)).scalar_one()
        connection.execute(document.update().where(document.c.sha256 == digest)
                           .values(compression=new, body=pack(unpack(body))))
