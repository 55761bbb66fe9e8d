"""Archived captures and when they were taken, for backfill (`watcher ingest SOURCE DIR`).

A directory of captures names each one by its time (`2026-03-27T04:35:00Z.md`,
`2026-03-27T04-35-00Z.html` where colons are awkward, or a bare date
`2026-03-27.md`, read as midnight UTC), or carries a manifest (`manifest.csv`
with a `file,observed_at` header, or `manifest.json`: a list of
`{"file": …, "observed_at": …}` objects) that names files and times itself.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any, Final

from watcher.durations import parse_time

MANIFESTS: Final = ("manifest.csv", "manifest.json")
_STAMP: Final = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[T_ ](?P<h>\d{2})[:-]?(?P<m>\d{2})(?:[:-]?(?P<s>\d{2})(?P<frac>\.\d+)?)?)?"
    r"(?P<tz>Z|[+-]\d{2}:?\d{2})?"
)


class CaptureError(ValueError):
    """The captures cannot be placed in time; the message names the file."""


@dataclasses.dataclass(frozen=True, slots=True, order=True)
class Capture:
    observed_at: dt.datetime
    path: Path


def time_from_name(name: str) -> dt.datetime | None:
    """The capture time a file name carries, or None."""
    found = _STAMP.search(name)
    if found is None:
        return None
    text = found.group("date")
    if found.group("h"):
        text += f"T{found.group('h')}:{found.group('m')}:{found.group('s') or '00'}{found.group('frac') or ''}"
        tz = found.group("tz")
        if tz and tz != "Z" and ":" not in tz:
            tz = f"{tz[:3]}:{tz[3:]}"
        text += tz or "Z"
    try:
        return parse_time(text)
    except ValueError:
        return None


def discover(path: Path) -> list[Capture]:
    """The captures in a directory (or named by a manifest file), oldest first."""
    if path.is_file() and path.name in MANIFESTS:
        return _sorted(_manifest(path))
    if not path.is_dir():
        raise CaptureError(f"{path}: not a directory or manifest")
    for name in MANIFESTS:
        if (path / name).is_file():
            return _sorted(_manifest(path / name))
    captures, unplaced = [], []
    for child in sorted(path.iterdir()):
        if not child.is_file() or child.name.startswith("."):
            continue
        when = time_from_name(child.name)
        if when is None:
            unplaced.append(child.name)
        else:
            captures.append(Capture(when, child))
    if unplaced:
        shown = ", ".join(unplaced[:5]) + (" …" if len(unplaced) > 5 else "")
        raise CaptureError(f"{path}: no capture time in the name of {shown} "
                           f"(name files like 2026-03-27T04:35:00Z.md, or add a manifest.csv)")
    if not captures:
        raise CaptureError(f"{path}: no captures found")
    return _sorted(captures)


def _sorted(captures: list[Capture]) -> list[Capture]:
    captures.sort()
    for earlier, later in zip(captures, captures[1:]):
        if earlier.observed_at == later.observed_at:
            raise CaptureError(f"{earlier.path.name} and {later.path.name} were both taken at "
                               f"{earlier.observed_at.isoformat()}")
    return captures


def _manifest(path: Path) -> list[Capture]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CaptureError(f"{path}: cannot read: {exc.strerror}") from None
    entries = _json_entries(path, text) if path.suffix == ".json" else _csv_entries(path, text)
    captures = []
    for number, entry in enumerate(entries, start=1):
        where = f"{path.name} entry {number}"
        file, observed = entry.get("file"), entry.get("observed_at")
        if not file or not observed:
            raise CaptureError(f"{where}: needs `file` and `observed_at`")
        target = path.parent / str(file)
        if not target.is_file():
            raise CaptureError(f"{where}: no such file {target}")
        try:
            when = parse_time(str(observed))
        except ValueError as exc:
            raise CaptureError(f"{where}: {exc}") from None
        captures.append(Capture(when, target))
    if not captures:
        raise CaptureError(f"{path}: lists no captures")
    return captures


def _csv_entries(path: Path, text: str) -> list[dict[str, Any]]:
    reader = csv.DictReader(text.splitlines())
    if not reader.fieldnames or not {"file", "observed_at"} <= set(reader.fieldnames):
        raise CaptureError(f"{path}: the first line must be the header file,observed_at")
    return list(reader)


def _json_entries(path: Path, text: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CaptureError(f"{path}: not JSON: {exc}") from None
    if not isinstance(data, list) or not all(isinstance(e, dict) for e in data):
        raise CaptureError(f'{path}: expected a list of {{"file": …, "observed_at": …}} objects')
    return data
