"""Feeds, built from plain rows: an Atom feed of changes (RFC 4287) and an iCalendar
feed of shutdown dates (RFC 5545).

Both are pure functions of their rows, so a reader sees each change once (its
entry id is the change's id) and a calendar sees one event per model whose UID
never changes: when a shutdown date moves, the same event moves, with a higher
SEQUENCE, instead of a second event appearing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from typing import Any, Final
from urllib.parse import quote

from watcher.store.values import iso_time

ATOM_NS: Final = "http://www.w3.org/2005/Atom"
PRODUCT: Final = "Model Lifecycle Watcher"
UID_DOMAIN: Final = "model-lifecycle-watcher"


def change_title(row: dict[str, Any]) -> str:
    """`sora-2 shutdown_date: 2026-09-24 → 2026-10-01` (the alert's own words, plain text)."""
    who = row.get("model") or row.get("key") or row.get("source")
    what = row.get("field") or row.get("kind")
    old, new = row.get("old"), row.get("new")
    if old is None and new is None:
        return f"{who} {what}"
    return f"{who} {what}: {old if old is not None else '∅'} → {new if new is not None else '∅'}"


def model_path(base: str, model: str | None) -> str:
    return f"{base}/models/{quote(model or '', safe='')}"


def atom(rows: Iterable[dict[str, Any]], *, base: str, self_url: str, title: str,
         now: dt.datetime) -> bytes:
    """An Atom document, newest change first. Scraped strings go in as text nodes, so
    ElementTree escapes them; nothing is ever interpreted as markup."""
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    entries = list(rows)
    updated = max((r["detected_at"] for r in entries), default=iso_time(now))
    _text(feed, "id", f"tag:{UID_DOMAIN},2026:{self_url.partition('://')[2] or self_url}")
    _text(feed, "title", title)
    _text(feed, "updated", updated)
    ET.SubElement(feed, f"{{{ATOM_NS}}}link", rel="self", href=self_url, type="application/atom+xml")
    ET.SubElement(feed, f"{{{ATOM_NS}}}link", rel="alternate", href=f"{base}/changes", type="text/html")
    author = ET.SubElement(feed, f"{{{ATOM_NS}}}author")
    _text(author, "name", PRODUCT)
    _text(feed, "generator", PRODUCT)
    for row in entries:
        entry = ET.SubElement(feed, f"{{{ATOM_NS}}}entry")
        _text(entry, "id", f"tag:{UID_DOMAIN},2026:change/{row['id']}")
        _text(entry, "title", change_title(row))
        _text(entry, "updated", row["detected_at"])
        ET.SubElement(entry, f"{{{ATOM_NS}}}link", rel="alternate", href=model_path(base, row.get("model")),
                      type="text/html")
        for term in (row.get("kind"), row.get("severity"), row.get("source")):
            if term:
                ET.SubElement(entry, f"{{{ATOM_NS}}}category", term=str(term))
        summary = [f"{name}: {row[name]}" for name in ("source", "provider", "key", "kind", "severity", "note")
                   if row.get(name)]
        _text(entry, "summary", "\n".join(summary)).set("type", "text")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + bytes(ET.tostring(feed, encoding="utf-8"))


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}")
    element.text = text
    return element



@dataclasses.dataclass(frozen=True, slots=True)
class Shutdown:
    """One model's shutdown as the calendar shows it."""

    provider: str
    model: str
    shutdown_on: dt.date
    source: str  # whose date this is
    replacement: str | None
    revision: int  # grows whenever the stated date changes (iCalendar SEQUENCE)
    stated_at: dt.datetime  # when the current date was first stated
    other_dates: tuple[str, ...] = ()  # what disagreeing sources say
    url: str | None = None


def shutdowns_from_rows(rows: Sequence[dict[str, Any]], official_sources: Iterable[str]) -> list[Shutdown]:
    """One shutdown per model from `upcoming` rows: the maker's own date when it states
    one, else the earliest any source states; the other dates are kept as notes."""
    officials = set(official_sources)
    by_model: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        if row.get("model") and row.get("is_model") is not False:
            by_model.setdefault((row["provider"] or "", row["model"]), []).append(row)
    out = []
    for (provider, model), found in sorted(by_model.items()):
        found.sort(key=lambda r: (r["source"] not in officials, r["shutdown_on"], r["source"]))
        chosen = found[0]
        stated = _parse_time(chosen.get("valid_from")) or dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        out.append(Shutdown(
            provider=provider, model=model, shutdown_on=dt.date.fromisoformat(chosen["shutdown_on"]),
            source=chosen["source"], replacement=chosen.get("replacement"),
            revision=int(chosen.get("revision") or 0), stated_at=stated,
            other_dates=tuple(sorted({f"{r['source']}: {r['shutdown_on']}" for r in found[1:]
                                      if r["shutdown_on"] != chosen["shutdown_on"]})),
            url=chosen.get("url"),
        ))
    return out


def _parse_time(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    return dt.datetime.fromisoformat(text)


def calendar(shutdowns: Iterable[Shutdown], *, base: str, reminder_days: Sequence[int],
             now: dt.datetime) -> bytes:
    """An iCalendar with one all-day event per model on its shutdown date, and one alarm
    per reminder day (the same days the alerts count down).

    Written directly rather than through the `icalendar` package: the feed uses a dozen
    properties of three value types, and the package cost the daemon 3 MB resident and
    the feed four fifths of its time. The tests parse the feed with `icalendar`."""
    stamp = _ical_time(now)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:-//{PRODUCT}//EN", "CALSCALE:GREGORIAN",
             "X-WR-CALNAME:Model shutdowns"]
    days = sorted({d for d in reminder_days if d > 0}, reverse=True)
    for item in shutdowns:
        description = [f"Shutdown date stated by {item.source}."]
        if item.replacement:
            description.append(f"Replacement: {item.replacement}")
        if item.other_dates:
            description.append("Other sources say: " + "; ".join(item.other_dates))
        lines += [
            "BEGIN:VEVENT",
            f"SUMMARY:{_ical_text(f'{item.model} shuts down ({item.provider})')}",
            f"DTSTART;VALUE=DATE:{item.shutdown_on:%Y%m%d}",
            f"DTEND;VALUE=DATE:{item.shutdown_on + dt.timedelta(days=1):%Y%m%d}",
            f"DTSTAMP:{stamp}",
            f"UID:{_ical_text(f'{item.provider}/{item.model}@{UID_DOMAIN}')}",
            f"SEQUENCE:{int(item.revision)}",
            f"DESCRIPTION:{_ical_text(chr(10).join(description))}",
            f"LAST-MODIFIED:{_ical_time(item.stated_at)}",
            "TRANSP:TRANSPARENT",
            f"URL:{model_path(base, item.model)}",
        ]
        for n in days:
            lines += ["BEGIN:VALARM", "ACTION:DISPLAY",
                      f"DESCRIPTION:{_ical_text(f'{item.model} shuts down in {n} days')}",
                      f"TRIGGER:-P{n}D", "END:VALARM"]
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return b"".join(_folded(line) for line in lines)


def _ical_time(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


_TEXT_ESCAPES: Final = str.maketrans({"\\": "\\\\", ";": "\\;", ",": "\\,", "\n": "\\n"})


def _ical_text(value: str) -> str:
    """An RFC 5545 TEXT value: backslash, semicolon, comma and newline escaped; other
    control characters (which TEXT may not hold) dropped, so a scraped string can
    never end the property or start another."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = "".join(ch for ch in value if (ch >= " " and ch != "\x7f") or ch in "\t\n")
    return value.translate(_TEXT_ESCAPES)


def _folded(line: str) -> bytes:
    """One content line, CRLF-terminated, folded every 75 octets (RFC 5545 3.1), never
    inside a UTF-8 sequence."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return data + b"\r\n"
    out = []
    start, limit = 0, 75
    while len(data) - start > limit:
        end = start + limit
        while data[end] & 0xC0 == 0x80:  # a continuation byte: fold before its character
            end -= 1
        out.append(data[start:end])
        start, limit = end, 74  # continuation lines begin with the folding space
    out.append(data[start:])
    return b"\r\n ".join(out) + b"\r\n"
