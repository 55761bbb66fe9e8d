"""`watcher audit [PATH…]`: the code that uses doomed models, as a table, JSON or SARIF, and a CI gate.

Thin: options, one read of the database (`watcher.store.readers.audit_facts`),
one scan (`watcher.audit`), one rendering. Exit codes: 0 nothing fails the gate,
1 a finding does, 2 the audit could not be run as asked.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from watcher.audit.levels import Level
from watcher.cli.app import app
from watcher.cli.context import context_of, fail, parse_date_option, parse_duration_option

if TYPE_CHECKING:
    from watcher.audit.findings import Finding
    from watcher.config import AuditSettings

STALE_AFTER_DAYS = 3  # older facts are said so on stderr: a gate must not pass on a dead daemon's data


class AuditFormat(StrEnum):
    TABLE = "table"
    TEXT = "text"  # one `path:line:column: level: message` line per finding, as compilers print
    JSON = "json"
    SARIF = "sarif"


@app.command()
def audit(
    ctx: typer.Context,
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or directories to scan (default: the current directory).", show_default=False)] = None,
    fmt: Annotated[AuditFormat | None, typer.Option("--format", "-f", help="table, text (path:line:col: level: message), json or sarif (default: table on a terminal, json otherwise).")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the report to this file instead of stdout.")] = None,
    fail_within: Annotated[str | None, typer.Option("--fail-within", help="Fail on models shut down or shutting down within this time, e.g. 30d, 12w (default: [audit] fail_within, else 30d).")] = None,
    fail_on: Annotated[Level | None, typer.Option("--fail-on", help="Lowest level that fails: error (past or within the window), warning (any announced end), note (any known model). Default: [audit] fail_on, else error.")] = None,
    baseline: Annotated[Path | None, typer.Option("--baseline", help="Accept the findings listed in this file (default: [audit] baseline).")] = None,
    write_baseline: Annotated[Path | None, typer.Option("--write-baseline", help="Write every finding to this baseline file as accepted, and exit 0.")] = None,
    exclude: Annotated[list[str] | None, typer.Option("--exclude", "-x", help="Also skip paths fitting this gitignore-style pattern (repeatable).")] = None,
    everything: Annotated[bool, typer.Option("--all", help="Also list known models with no announced end (level note).")] = False,
    today: Annotated[str | None, typer.Option("--today", help="Count days left from this date (YYYY-MM-DD; default: today, UTC).")] = None,
) -> None:
    """Find the places a codebase uses models (and product APIs) with an announced end.

    Matches the model ids and aliases every source lists, as whole identifiers,
    and the product patterns of [audit.patterns]; respects .gitignore and skips
    virtualenvs, vendored and binary files. Days left count down to the
    provider's own date; catalogs that disagree are noted. Reads the database
    only (--db for a shared PostgreSQL): no daemon needed. See docs/audit.md.
    """
    from watcher.errors import describe

    try:
        _audit(ctx, paths or [Path(".")], fmt, output, fail_within, fail_on, baseline, write_baseline,
               exclude or [], everything, today)
    except typer.Exit:
        raise
    except Exception as exc:  # an audit that cannot run is a usage error (2), never a finding (1)
        message = describe(exc) or _audit_error(exc)
        if message is None:
            raise
        fail(message, 2)


def _audit(ctx: typer.Context, paths: list[Path], fmt: AuditFormat | None, output: Path | None,
           fail_within: str | None, fail_on: Level | None, baseline: Path | None, write_baseline: Path | None,
           exclude: list[str], everything: bool, today: str | None) -> None:
    from sources.registry import reference_sources
    from watcher.audit.findings import (
        apply_baseline,
        baseline_document,
        failing,
        judge,
        read_baseline,
        report_document,
        text_line,
    )
    from watcher.audit.lifecycle import build_index
    from watcher.audit.scan import Scanner
    from watcher.audit.tree import scan_tree
    from watcher.store.readers import audit_facts

    c = context_of(ctx)
    settings = c.settings.audit
    day = _day(today)
    window = _window(fail_within, settings)
    level = fail_on or Level(settings.fail_on)
    accepted_file = baseline or (Path(settings.baseline) if settings.baseline else None)
    accepted = read_baseline(accepted_file) if accepted_file and write_baseline is None else {}

    rows, as_of = audit_facts(c.query_engine)
    if not rows:
        fail("the database has no observations yet: run `watcher poll` first, or point --db at the team's "
             "database", 2)
    index = build_index(rows, day, official_sources=reference_sources(), products=settings.patterns,
                        include_all=everything)
    for name in index.missing_products:
        typer.echo(f"watcher: audit.patterns: no source lists {name!r}; its patterns are not checked", err=True)
    scanner = Scanner(index.models, {name: settings.patterns[name] for name in index.products})
    scanned = scan_tree(paths, scanner, base=Path.cwd(), exclude=[*settings.exclude, *exclude])
    findings = apply_baseline(judge(scanned.hits, index, day, fail_within_days=window), accepted)

    if write_baseline is not None:
        _emit(json.dumps(baseline_document(findings), indent=2) + "\n", write_baseline)
        typer.echo(f"audit: {len(findings)} findings accepted in {write_baseline}", err=True)
        return
    bad = failing(findings, level)
    chosen = fmt or (AuditFormat.TABLE if output is None and sys.stdout.isatty() else AuditFormat.JSON)
    if chosen is AuditFormat.TABLE:
        _table(findings, output)
    elif chosen is AuditFormat.TEXT:
        _emit("".join(text_line(f) + "\n" for f in findings), output)
    elif chosen is AuditFormat.SARIF:
        from watcher import __version__
        from watcher.audit.sarif import sarif_log

        _emit(json.dumps(sarif_log(findings, base=Path.cwd(), version=__version__), indent=2) + "\n", output)
    else:
        document = report_document(findings, today=day, as_of=as_of, fail_within_days=window, fail_on=level,
                                   files=scanned.files)
        _emit(json.dumps(document, indent=2, ensure_ascii=False) + "\n", output)
    typer.echo(_summary(findings, scanned.files, len(bad), as_of, day), err=True)
    if bad:
        raise typer.Exit(1)


def _table(findings: list[Finding], output: Path | None) -> None:
    from watcher.audit.findings import COLUMNS, finding_dict
    from watcher.output import Format, render

    rows = [{**finding_dict(f), "level": f"{f.level.value} (baseline)" if f.baselined else f.level.value}
            for f in findings]
    if output is None:
        render(rows, Format.TABLE, columns=COLUMNS, title="audit")
    else:
        with output.open("w", encoding="utf-8") as stream:
            render(rows, Format.TABLE, columns=COLUMNS, title="audit", stream=stream)


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


def _summary(findings: list[Finding], files: int, failing: int, as_of: dt.datetime | None, day: dt.date) -> str:
    counts = {level: sum(1 for f in findings if f.level.value == level) for level in ("error", "warning", "note")}
    accepted = sum(1 for f in findings if f.baselined)
    parts = [f"{counts[level]} {level}" for level in counts if counts[level]]
    line = f"audit: {files} files, {len(findings)} findings" + (f" ({', '.join(parts)})" if parts else "")
    if accepted:
        line += f", {accepted} accepted by the baseline"
    line += f"; {failing} failing the gate"
    if as_of is None:
        line += "; no source has been read successfully yet"
    else:
        age = (day - as_of.date()).days
        line += f"; facts as of {as_of.date().isoformat()}"
        if age > STALE_AFTER_DAYS:
            line += f" ({age} days old: is the daemon running?)"
    return line


def _window(text: str | None, settings: AuditSettings) -> int:
    if text is None:
        return settings.fail_within.days
    window = parse_duration_option("--fail-within", text)
    if window < dt.timedelta(0):
        fail("--fail-within: must not be negative", 2)
    return window.days


def _day(text: str | None) -> dt.date:
    if text is None:
        return dt.datetime.now(dt.UTC).date()
    return parse_date_option("--today", text)


def _audit_error(exc: Exception) -> str | None:
    from watcher.audit.findings import BaselineError

    return str(exc) if isinstance(exc, BaselineError) else None

