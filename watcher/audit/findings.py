"""Pure: hits and what they resolve to, against a clock, become findings; the gate and the baseline.

Levels (SARIF's names): `error` when the provider's date is past or within the
window (`--fail-within`, 30 days by default); `warning` for any other sign of an
end (a later date, a deprecated/legacy status, a catalog's date); `note` for an
id with no sign of an end (listed only with `--all`).

A fingerprint identifies an occurrence, not its state: the file, the id as
written, the line's text (whitespace collapsed) and which occurrence of that on
the file it is. Moving code around or adding lines above keeps it; editing the
line makes a new finding. A baseline accepts findings by fingerprint together
with the shutdown date they were accepted with: when the provider moves the
date earlier (or announces one for an accepted undated finding), the finding is
news again. A baseline must never make the gate go deaf.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from watcher.audit.levels import Level
from watcher.audit.lifecycle import Index, Lifecycle
from watcher.audit.scan import Hit

BASELINE_VERSION: Final = 1


class BaselineError(ValueError):
    """A baseline file that cannot be read: `path: what is wrong`."""


@dataclasses.dataclass(frozen=True, slots=True)
class Finding:
    path: str
    hit: Hit
    lifecycle: Lifecycle
    days_left: int | None
    level: Level
    fingerprint: str
    baselined: bool = False


def judge(hits: Iterable[tuple[str, Hit]], index: Index, today: dt.date, *, fail_within_days: int) -> list[Finding]:
    """Findings for (path, hit) pairs, ordered by path and position."""
    ordered = sorted(hits, key=lambda item: (item[0], item[1].line, item[1].column, item[1].written))
    seen: Counter[tuple[str, str, str]] = Counter()
    out: list[Finding] = []
    for path, hit in ordered:
        lifecycle = (index.models if hit.kind == "model" else index.products).get(hit.target)
        if lifecycle is None:
            continue
        text = " ".join(hit.text.split())
        occurrence = seen[(path, hit.written, text)]
        seen[(path, hit.written, text)] += 1
        days = (lifecycle.shutdown_on - today).days if lifecycle.shutdown_on else None
        out.append(Finding(path, hit, lifecycle, days, level_of(lifecycle, days, fail_within_days),
                           fingerprint(path, hit.written, text, occurrence)))
    return out


def level_of(lifecycle: Lifecycle, days_left: int | None, fail_within_days: int) -> Level:
    if days_left is not None and days_left <= fail_within_days:
        return Level.ERROR
    return Level.WARNING if lifecycle.doomed else Level.NOTE


def fingerprint(path: str, written: str, line_text: str, occurrence: int) -> str:
    material = "\0".join((path, written, line_text, str(occurrence)))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


def failing(findings: Iterable[Finding], fail_on: Level) -> list[Finding]:
    """The findings that fail the gate: at `fail_on` or worse, and not accepted in the baseline."""
    return [f for f in findings if not f.baselined and f.level.rank >= fail_on.rank]


# --- the baseline -------------------------------------------------------------------------


def apply_baseline(findings: Sequence[Finding], accepted: Mapping[str, dt.date | None]) -> list[Finding]:
    """Mark the findings the baseline accepts: same fingerprint, and no earlier shutdown than accepted."""
    out = []
    for finding in findings:
        ok = finding.fingerprint in accepted and _not_earlier(finding.lifecycle.shutdown_on,
                                                              accepted[finding.fingerprint])
        out.append(dataclasses.replace(finding, baselined=ok))
    return out


def _not_earlier(now: dt.date | None, then: dt.date | None) -> bool:
    if now is None:
        return True
    return then is not None and now >= then


def read_baseline(path: Path) -> dict[str, dt.date | None]:
    """fingerprint -> the shutdown date it was accepted with."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"{path}: no such baseline file (write one with --write-baseline)") from None
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read: {exc.strerror}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: not a baseline (not JSON: {exc})") from None
    entries = raw.get("accepted") if isinstance(raw, dict) else None
    if not isinstance(entries, list) or raw.get("version") != BASELINE_VERSION:
        raise BaselineError(f"{path}: not a baseline (expected {{\"version\": {BASELINE_VERSION}, \"accepted\": [...]}})")
    accepted: dict[str, dt.date | None] = {}
    for number, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("fingerprint"), str):
            raise BaselineError(f"{path}: accepted[{number}]: needs a \"fingerprint\"")
        shutdown = entry.get("shutdown_on")
        try:
            accepted[entry["fingerprint"]] = dt.date.fromisoformat(shutdown) if shutdown else None
        except (TypeError, ValueError):
            raise BaselineError(f"{path}: accepted[{number}].shutdown_on: expected YYYY-MM-DD, got {shutdown!r}") from None
    return accepted


def baseline_document(findings: Iterable[Finding]) -> dict[str, Any]:
    """The baseline accepting `findings`; the details beside each fingerprint are for the reader."""
    return {
        "version": BASELINE_VERSION,
        "accepted": [
            {"fingerprint": f.fingerprint, "path": f.path, "line": f.hit.line, "written": f.hit.written,
             "model": f.lifecycle.name, "shutdown_on": f.lifecycle.shutdown_on.isoformat()
             if f.lifecycle.shutdown_on else None}
            for f in sorted(findings, key=lambda f: (f.path, f.hit.line, f.fingerprint))
        ],
    }


# --- plain rows for the table and JSON ----------------------------------------------------

COLUMNS: Final = ("level", "location", "written", "model", "status", "shutdown_on", "days_left", "replacement",
                  "notes")


def finding_dict(f: Finding) -> dict[str, Any]:
    life = f.lifecycle
    return {
        "level": f.level.value,
        "path": f.path,
        "line": f.hit.line,
        "column": f.hit.column,
        "location": f"{f.path}:{f.hit.line}",
        "written": f.hit.written,
        "kind": f.hit.kind,
        "model": life.name,
        "provider": life.provider,
        "distribution": life.distribution,
        "status": life.status,
        "shutdown_on": life.shutdown,
        "shutdown_source": life.shutdown_source,
        "days_left": f.days_left,
        "replacement": life.replacement,
        "notes": "; ".join(life.notes) or None,
        "baselined": f.baselined,
        "fingerprint": f.fingerprint,
    }


def report_document(findings: Sequence[Finding], *, today: dt.date, as_of: dt.datetime | None,
                    fail_within_days: int, fail_on: Level, files: int) -> dict[str, Any]:
    """The JSON report: the run's terms, then every finding."""
    return {
        "today": today.isoformat(),
        "data_as_of": as_of.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if as_of else None,
        "fail_within_days": fail_within_days,
        "fail_on": fail_on.value,
        "files": files,
        "failing": len(failing(findings, fail_on)),
        "findings": [finding_dict(f) for f in findings],
    }


def text_line(f: Finding) -> str:
    """`path:line:column: level: message`, as compilers print, for hooks and CI logs."""
    accepted = " (accepted in the baseline)" if f.baselined else ""
    return f"{f.path}:{f.hit.line}:{f.hit.column}: {f.level.value}{accepted}: {message(f)}"


def message(f: Finding) -> str:
    """One sentence: what, when, what instead."""
    life = f.lifecycle
    what = f"{f.hit.written} ({life.name})"
    if f.days_left is None:
        when = f"is {life.status}" if life.status else "has no announced shutdown"
    elif f.days_left < 0:
        when = f"was shut down on {life.shutdown} ({-f.days_left} days ago, per {life.shutdown_source})"
    else:
        when = f"shuts down on {life.shutdown} ({f.days_left} days left, per {life.shutdown_source})"
    instead = ""
    if life.replacement == "---":
        instead = "; no replacement"
    elif life.replacement:
        instead = f"; replacement: {life.replacement}"
    notes = f" [{'; '.join(life.notes)}]" if life.notes else ""
    return f"{what} {when}{instead}{notes}"
