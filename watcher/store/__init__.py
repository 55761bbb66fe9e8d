"""Storage: SQLModel tables, the engine, Alembic migrations, and the queries on them.

Nothing outside this package talks SQL; the pipeline and the CLI call the
functions exported by its modules.
"""
