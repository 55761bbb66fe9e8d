"""Issue 13 figures: the database after nine real LiteLLM releases (1.72.0 … 1.101.4,
the catalogs shipped in the PyPI wheels), beside urlwatch's cache after the same
nine (targets: whole SQLite file, raw archive included, ≤ 3 MB; structured
history ≤ 500 bytes per changed row).

Ours: each release polled a day apart as `watcher poll` records it, then the
file's bytes split with SQLite's dbstat into the raw archive (document), versions
(version_record, which analysts read as observation_version, and the price sets
they name, price_set), changes (change_record, read as change) and their indexes,
with the space pages hold unused (what a VACUUM would give back: page splits when
a version is closed in place). urlwatch (from the `bench` extra) watches the same
file through a file:// job, run once per release.
"""

from __future__ import annotations

import resource
import shutil
import sqlite3
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench import _releases
from bench.common import peak_rss_kb, report

TABLES = {"document": "raw", "version_record": "versions", "price_set": "versions", "change_record": "changes"}


def _split(db: Path) -> dict[str, int]:
    """Bytes per part (raw, versions, changes, each one's indexes, other), all indexes
    together, and the bytes of those pages left unused."""
    with sqlite3.connect(db) as conn:
        owner = dict(conn.execute("SELECT name, tbl_name FROM sqlite_schema WHERE type IN ('table', 'index')"))
        sizes = conn.execute("SELECT name, SUM(pgsize), SUM(unused) FROM dbstat GROUP BY name").fetchall()
    parts: dict[str, int] = {"indexes": 0, "unused": 0}
    for name, size, unused in sizes:
        table = owner.get(name, name)
        part = TABLES.get(table, "other")
        if name != table and part != "other":
            part += "_indexes"
            parts["indexes"] += size
        parts[part] = parts.get(part, 0) + size
        parts["unused"] += unused
    return parts


@dataclass
class Storage:
    """What the nine releases leave: our file's bytes and their split, the changed rows,
    and urlwatch's cache bytes and the most any of its nine runs held resident (None
    without urlwatch)."""

    file_bytes: int
    parts: dict[str, int]
    changed_rows: int
    refused: int
    urlwatch_bytes: int | None
    urlwatch_peak_rss_kb: int | None
    # The most this process held resident by the end of recording the nine (imports included),
    # beside urlwatch's peak over its nine runs.
    recording_peak_rss_kb: int

    @property
    def structured(self) -> int:
        return sum(self.parts.get(p, 0) for p in ("versions", "versions_indexes", "changes", "changes_indexes"))


def _urlwatch_bytes(folder: Path, catalogs: list[bytes]) -> tuple[int, int] | None:
    """urlwatch's cache bytes after one run per catalog, and its peak resident KB over those runs."""
    beside = Path(sys.executable).with_name("urlwatch")
    urlwatch = str(beside) if beside.exists() else shutil.which("urlwatch")
    if urlwatch is None:
        return None
    page = folder / "litellm.json"
    (folder / "urls.yaml").write_text(f"name: litellm\nurl: {page.as_uri()}\n")
    argv = [urlwatch, "--urls", str(folder / "urls.yaml"), "--config", str(folder / "urlwatch.yaml"),
            "--cache", str(folder / "cache.db"), "--hooks", str(folder / "hooks.py")]
    peak = 0
    for body in catalogs:
        page.write_bytes(body)
        peak = max(peak, peak_rss_kb(argv))
    return (folder / "cache.db").stat().st_size, peak


def measure() -> Storage:
    with tempfile.TemporaryDirectory(prefix="bench-storage-") as tmp:
        folder = Path(tmp)
        db = folder / "watcher.db"
        outcomes = list(_releases.record(db, _releases.NINE))
        recording_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KB on Linux
        theirs = _urlwatch_bytes(folder, [_releases.catalog(v) for v in _releases.NINE])
        return Storage(file_bytes=db.stat().st_size, parts=_split(db),
                       changed_rows=sum(changes for _, _, changes in outcomes),
                       refused=sum(outcome == "refused" for _, outcome, _ in outcomes),
                       urlwatch_bytes=theirs[0] if theirs else None,
                       urlwatch_peak_rss_kb=theirs[1] if theirs else None, recording_peak_rss_kb=recording_peak)


def main() -> None:
    measured = measure()
    file_bytes, parts, changed_rows, theirs = (measured.file_bytes, measured.parts, measured.changed_rows,
                                               measured.urlwatch_bytes)
    structured = measured.structured
    figures: dict[str, object] = {"file_mb": round(file_bytes / 1e6, 2), "changed_rows": changed_rows,
                                  "refused": measured.refused}
    figures.update({f"{k}_mb": round(v / 1e6, 2) for k, v in sorted(parts.items())})
    if theirs is not None:
        figures["urlwatch_cache_mb"] = round(theirs / 1e6, 2)
        figures["ratio"] = round(file_bytes / theirs, 2)
    report("database after 9 LiteLLM releases", figures, "≤ 3 MB")
    report("peak resident MB recording the 9 releases", {
        "ours_one_process": round(measured.recording_peak_rss_kb / 1024, 1),
        **({"urlwatch_one_run_per_release": round(measured.urlwatch_peak_rss_kb / 1024, 1)}
           if measured.urlwatch_peak_rss_kb is not None else {})})
    report("structured history per changed row", {
        "bytes": round(structured / max(changed_rows, 1)), "structured_mb": round(structured / 1e6, 2)}, "≤ 500 bytes")


if __name__ == "__main__":
    main()
