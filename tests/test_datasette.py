"""docs/datasette-metadata.json as Datasette itself reads it: `datasette serve` on a
database built from the real captures, every canned query answering, and every
column the metadata calls sortable sorting by its value (prices as numbers, so
9.996 sorts below 55000).

Datasette is not a dependency of the project or of its tests (it brings its own
web stack): this runs when a `datasette` executable is on PATH or named by
WATCHER_TEST_DATASETTE, e.g. from a venv of its own, and is skipped otherwise."""

from __future__ import annotations

import html
import json
import os
import shutil
import subprocess
import urllib.parse
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.daemon_support import wait_for
from tests.test_ops_analyst_data import METADATA, build
from tests.web_support import build_real_db, write_config

DATASETTE = os.environ.get("WATCHER_TEST_DATASETTE") or shutil.which("datasette")

pytestmark = pytest.mark.skipif(
    DATASETTE is None,
    reason="datasette is not installed: `pip install datasette` in a venv of its own and put its bin/ on PATH "
           "(or set WATCHER_TEST_DATASETTE to the executable)")


@pytest.fixture(scope="module")
def datasette(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """`datasette serve watcher.db -m docs/datasette-metadata.json` on a Unix socket (no port to pick)."""
    assert DATASETTE is not None
    directory = tmp_path_factory.mktemp("datasette")
    db = directory / "watcher.db"  # Datasette names the database after the file: the metadata says `watcher`
    url = f"sqlite:///{db}"
    build_real_db(write_config(directory / "config.toml"), url)
    build(url)  # prices across orders of magnitude, stated as text
    socket_path = directory / "datasette.sock"
    log_path = directory / "datasette.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen([DATASETTE, "serve", str(db), "--metadata", str(METADATA), "--uds", str(socket_path)],
                                   stdout=log, stderr=subprocess.STDOUT)
    client = httpx.Client(transport=httpx.HTTPTransport(uds=str(socket_path)), base_url="http://localhost", timeout=60)

    def answering() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"datasette exited ({process.returncode}):\n{log_path.read_text()}")
        try:
            return client.get("/-/versions.json").status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_for("datasette to answer on its socket", answering)
        yield client
    finally:
        client.close()
        process.terminate()
        process.wait(30)


def metadata() -> dict[str, Any]:
    database: dict[str, Any] = json.loads(METADATA.read_text(encoding="utf-8"))["databases"]["watcher"]
    return database


def get_json(client: httpx.Client, path: str) -> dict[str, Any]:
    response = client.get(path)
    assert response.status_code == 200, (path, response.text[:500])
    body: dict[str, Any] = response.json()
    return body


def test_every_canned_query_runs_with_its_title(datasette: httpx.Client) -> None:
    queries = metadata()["queries"]
    assert queries
    for name, query in queries.items():
        path = f"/watcher/{urllib.parse.quote(name)}"
        body = get_json(datasette, f"{path}.json?_shape=objects")
        assert body.get("ok", True) and isinstance(body["rows"], list), (name, body)
        page = datasette.get(path)
        assert page.status_code == 200 and query["title"] in html.unescape(page.text), name


def test_sortable_columns_sort_by_value_both_ways(datasette: httpx.Client) -> None:
    sorted_columns = 0
    for table, spec in metadata()["tables"].items():
        for column in spec.get("sortable_columns", []):
            for direction in ("_sort", "_sort_desc"):
                body = get_json(datasette, f"/watcher/{table}.json?_shape=objects&_size=max&{direction}={column}")
                values = [row[column] for row in body["rows"] if row[column] is not None]
                assert len({type(v) for v in values}) <= 1, (table, column, values[:5])
                assert values == sorted(values, reverse=direction == "_sort_desc"), (table, column, direction)
                sorted_columns += bool(values)
    assert sorted_columns >= 20  # the populated database gives most of them something to sort


def test_prices_sort_as_numbers_beside_their_exact_text(datasette: httpx.Client) -> None:
    body = get_json(datasette, "/watcher/price_history.json?_shape=objects&_sort=price_value&source=pricey")
    assert [(row["price"], row["price_value"]) for row in body["rows"]] == [
        ("0.0000025", 0.0000025), ("9.996", 9.996), ("10.5", 10.5), ("55000", 55000.0)]
