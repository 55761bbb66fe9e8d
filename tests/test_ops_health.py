"""Health tells the truth, from a real `watcher run`: liveness says only that
the process works; readiness (/readyz, /healthz) is unhealthy, with reasons,
when a source has not succeeded since start-up or is being refused, long
before its staleness limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.daemon_support import (
    DEPRECATIONS_MD,
    PATH,
    QUICK_FETCH,
    SOURCE,
    free_port,
    wait_for,
    watcher_process,
    write_config,
)
from tests.support import Upstream

pytestmark = pytest.mark.slow

# The deprecations page with its tables gone: the guard refuses it rather than delist every row.
NO_TABLES = "\n".join(line for line in DEPRECATIONS_MD.splitlines() if not line.startswith("|"))


def start(tmp_path: Path, upstream: Upstream, db_url: str, port: int):  # type: ignore[no-untyped-def]
    # Polled every second, stale only after an hour: any unreadiness below is not staleness.
    config = write_config(tmp_path / "config.toml",
                          {SOURCE: {"every": "1s", "stale_after": "1h", "url": upstream.url(PATH)}},
                          extra=f'{QUICK_FETCH}[daemon]\nlisten = "127.0.0.1:{port}"\n')
    return watcher_process(config, db_url, listen=port)


def test_a_source_failing_since_start_is_unready_but_the_process_is_live(
        tmp_path: Path, upstream: Upstream, db_url: str) -> None:
    upstream.set(PATH, "upstream is down", status=503)
    port = free_port()
    with start(tmp_path, upstream, db_url, port) as watcher:
        _, body = wait_for("unready with a reason",
                                lambda: (r := watcher.get("/readyz"))[0] == 503 and "since start-up" in r[1] and r)
        assert body.startswith("unhealthy\n")
        assert f"{SOURCE}: no successful poll since start-up" in body and "HTTP 503" in body
        assert "127.0.0.1" in body  # the failing host is named
        assert watcher.get("/healthz")[0] == 503  # the old name answers as readiness
        assert watcher.get("/livez") == (200, "alive: leader (epoch 1)\n")
        assert watcher.metric("watcher_healthy") == 0

        upstream.set(PATH, DEPRECATIONS_MD)
        wait_for("ready once a poll succeeds", lambda: watcher.get("/readyz")[0] == 200)
        assert watcher.get("/healthz") == (200, "ok: leader (epoch 1), 1 sources fresh\n")
        assert watcher.stop() == 0


def test_a_refused_source_is_unready_and_says_since_when(tmp_path: Path, upstream: Upstream, db_url: str) -> None:
    upstream.set(PATH, DEPRECATIONS_MD)
    port = free_port()
    with start(tmp_path, upstream, db_url, port) as watcher:
        wait_for("ready after the baseline", lambda: watcher.get("/readyz")[0] == 200)
        upstream.set(PATH, NO_TABLES)
        _, body = wait_for("unready while refused",
                                lambda: (r := watcher.get("/readyz"))[0] == 503 and "refused since" in r[1] and r)
        assert f"{SOURCE}: refused since 20" in body and "failed poll" in body
        assert watcher.get("/livez")[0] == 200

        upstream.set(PATH, DEPRECATIONS_MD)
        wait_for("ready once the page is whole again", lambda: watcher.get("/readyz")[0] == 200)
        assert watcher.stop() == 0
