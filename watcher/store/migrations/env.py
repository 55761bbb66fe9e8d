"""Alembic environment: always run on a connection handed over by `watcher.store.migrate`."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from watcher.store.tables import declare_postgresql_where  # registers the tables on SQLModel.metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `watcher db upgrade`, not the alembic CLI")
if connection.dialect.name == "postgresql":
    declare_postgresql_where()  # the models as the migrations create them there

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
