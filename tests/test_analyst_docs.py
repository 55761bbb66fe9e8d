"""docs/analysts.md: every SQL example runs, and returns rows, on SQLite and PostgreSQL;
the read-only role it describes can read everything and write nothing; every
table and view is documented."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.analyst_support import populate
from watcher.poll.pipeline import Poller
from watcher.store.engine import make_engine, sqlite_path
from watcher.store.migrate import ensure_schema
from watcher.store.relations import TABLES, VIEWS

DOC = Path(__file__).parents[1] / "docs" / "analysts.md"
BLOCK = re.compile(r"^```sql([^\n]*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


@dataclasses.dataclass(frozen=True)
class Example:
    tags: frozenset[str]
    sql: str
    line: int

    def runs_on(self, backend: str) -> bool:
        dialects = self.tags & {"sqlite", "postgresql"}
        return "admin" not in self.tags and (not dialects or backend in dialects)

    def statements(self) -> list[str]:
        return [s.strip() for s in re.split(r";\s*(?:\n|$)", self.sql) if s.strip()]


def examples() -> list[Example]:
    text = DOC.read_text(encoding="utf-8")
    return [Example(frozenset(m.group(1).split()), m.group(2), text.count("\n", 0, m.start()) + 1)
            for m in BLOCK.finditer(text)]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def populated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    import os

    from tests.conftest import _pg_schema
    from tests.support import PG_ENV

    if request.param == "sqlite":
        urls: Iterator[str] = iter([f"sqlite:///{tmp_path_factory.mktemp('docs') / 'watcher.db'}"])
    else:
        if not os.environ.get(PG_ENV):
            pytest.skip(f"{PG_ENV} not set")
        urls = _pg_schema(os.environ[PG_ENV])
    url = next(urls)
    engine = make_engine(url)
    ensure_schema(engine)
    populate(Poller(engine=engine), dt.datetime.now(dt.UTC).date())
    engine.dispose()
    yield request.param, url
    next(urls, None)


def _connect(backend: str, url: str) -> object:
    """A plain DB-API connection in autocommit, as an analyst's sqlite3 or psql would be."""
    if backend == "sqlite":
        path = sqlite_path(url)
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    import psycopg

    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)


def test_the_guide_has_examples_for_both_backends() -> None:
    found = examples()
    assert len(found) >= 15
    assert any("sqlite" in e.tags for e in found) and any("postgresql" in e.tags for e in found)


def test_every_documented_query_runs_and_returns_rows(populated: tuple[str, str]) -> None:
    backend, url = populated
    connection = _connect(backend, url)
    try:
        for example in examples():
            if not example.runs_on(backend):
                continue
            for statement in example.statements():
                cursor = connection.cursor()  # type: ignore[attr-defined]
                try:
                    cursor.execute(statement)
                except Exception as exc:
                    pytest.fail(f"docs/analysts.md line {example.line} on {backend}: {exc}\n{statement}")
                if statement.upper().startswith("SELECT"):
                    assert cursor.fetchall(), f"docs/analysts.md line {example.line}: no rows on {backend}\n{statement}"
    finally:
        connection.close()  # type: ignore[attr-defined]


def test_the_documented_read_only_role_reads_everything_and_writes_nothing(populated: tuple[str, str]) -> None:
    backend, url = populated
    if backend != "postgresql":
        pytest.skip("PostgreSQL roles")
    import psycopg

    plain = url.replace("postgresql+psycopg://", "postgresql://")
    schema = re.search(r"search_path%3D(\w+)", plain).group(1)  # type: ignore[union-attr]
    role = f"analyst_{uuid.uuid4().hex[:8]}"
    [admin] = [e for e in examples() if "admin" in e.tags]
    with psycopg.connect(plain, autocommit=True) as owner:
        database = owner.execute("SELECT current_database()").fetchone()[0]  # type: ignore[index]
        sql = (admin.sql.replace("SCHEMA public", f'SCHEMA "{schema}"')
               .replace("DATABASE watcher", f'DATABASE "{database}"'))
        sql = re.sub(r"\banalyst\b", role, sql)
        try:
            for statement in Example(admin.tags, sql, admin.line).statements():
                owner.execute(statement)
            as_role = re.sub(r"//[^@/]+@", f"//{role}:change-me@", plain)
            with psycopg.connect(as_role, autocommit=True) as reader:
                for name in sorted({**TABLES, **VIEWS}):
                    reader.execute(f"SELECT * FROM {name} LIMIT 1")
                assert reader.execute("SHOW timezone").fetchone() == ("UTC",)
                with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
                    reader.execute("DELETE FROM run")
                reader.execute("SET default_transaction_read_only = off")  # the grants alone still forbid it
                for name in ("run", "change"):  # a table, and a view over one (migration 0013)
                    with pytest.raises(psycopg.errors.InsufficientPrivilege):
                        reader.execute(f"DELETE FROM {name}")
        finally:
            owner.execute(f'DROP OWNED BY "{role}"')
            owner.execute(f'DROP ROLE IF EXISTS "{role}"')


def test_every_table_and_view_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name in (*TABLES, *VIEWS):
        assert f"`{name}`" in text, name
