"""Source `openai-deprecations`: OpenAI's API deprecations page, Markdown twin or HTML.

Every table row under an announcement heading (`### 2026-06-11: GPT-5 and o3
model deprecations`, or an undated one) becomes one `Observation`, status
DEPRECATED: being listed on this page is the statement. Whether the shutdown
date has passed is left to the reader of the observation; deriving "retired"
here would need a clock and would turn time passing into a page change.

Keys (stable under backticks, whitespace, row order, Upcoming/Past regrouping
and a section split that keeps its date prefix):

- model rows: `{announcement}/{model}`, where the announcement is the heading's
  ISO date, or the slug of the heading for an undated one. The same model in two
  announcements (gpt-4-1106-preview, 2025-09-26 and 2026-04-22) is two rows.
- `Date | Update` tables (product deprecations: Reusable prompts, Evals, Agent
  Builder, the fine-tuning update) are one row per product, not per date:
  `{announcement}/{subject-slug}`, model = the heading title without its date
  (the "subject"), is_model=False, shutdown_on = the date whose update says the
  product shuts down (is disabled / no longer available; none stated, none),
  every other date a milestone ("2026-10-31: Existing evals become read-only.").
- Scoped rows ("New fine-tuning training on `babbage-002`": prose around one
  model id) are about that model: model = the id, key
  `{announcement}/{model}@{scope-slug}`, source_id the row's own wording, the
  scope appended to `section`, and is_model=False, since the date is the
  scope's, not the model's shutdown.
- When one page would give one key twice (2023-07-06 lists `ada` under "Base GPT
  models" and again under "Fine-tuning GPT models"), every row of the clash gets
  `#{h4-subsection-slug}`, or `#{n}` (page order) when subsections don't tell
  them apart: nothing vanishes and nothing depends on which comes first.

Columns are found by header text, never position; price columns are ignored.
A body cut short (its last line cut mid-way, a last table row without its
closing pipe, an HTML table never closed) is refused as truncated: a partial
page would read as delistings and as a last row cut mid-cell.
`url` anchors on our own slug of the h3 heading (the same for both renderings).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Final

from sources.base import BuiltinSource
from sources.openai_deprecations_cells import (
    Block,
    Heading,
    parse_date,
    parse_model_cell,
    parse_replacement,
    plain,
    slugify,
    split_heading,
)
from watcher.model import Document, Observation, ParseError, Status

PAGE_URL: Final = "https://developers.openai.com/api/docs/deprecations"
PROVIDER: Final = "openai"


@dataclasses.dataclass(frozen=True, slots=True)
class _Announcement:
    heading: str
    level: int
    date: dt.date | None
    title: str  # heading without its date prefix

    @property
    def token(self) -> str:
        return self.date.isoformat() if self.date else slugify(self.heading)

    @property
    def url(self) -> str:
        return f"{PAGE_URL}#{slugify(self.heading)}"


@dataclasses.dataclass(frozen=True, slots=True)
class _Columns:
    date: int
    subject: int  # model column, or the update text of a Date | Update table
    replacement: int | None
    product: bool  # a `Date | Update` table


def _columns(header: Sequence[str]) -> _Columns | None:
    names = [h.lower() for h in header]

    def find(accept: re.Pattern[str], reject: re.Pattern[str] | None = None) -> int | None:
        for i, name in enumerate(names):
            if accept.search(name) and not (reject and reject.search(name)):
                return i
        return None

    replacement = find(re.compile(r"replacement|substitute"))
    model = find(re.compile(r"model|system"), re.compile(r"price|replacement|substitute|date"))
    shutdown = find(re.compile(r"shut ?down|sunset|retire|date"))
    if model is not None and shutdown is not None:
        return _Columns(shutdown, model, replacement, product=False)
    update = find(re.compile(r"update|change|detail|event"))
    if shutdown is not None and update is not None:
        return _Columns(shutdown, update, None, product=True)
    return None


@dataclasses.dataclass(frozen=True, slots=True)
class _Row:
    observation: Observation
    subsection: str | None


# An update that ends the product (not a step such as "becomes read-only").
_ENDS: Final = re.compile(
    r"\bshut(?:s|ting)?\s*down\b|\bdisabled\b|\bno longer (?:be )?(?:available|accessible|supported|be able)\b"
    r"|\b(?:is|are|will be) (?:removed|retired|discontinued|turned off)\b",
    re.IGNORECASE,
)


def _section(ann: _Announcement, sub: str | None) -> str:
    return f"{ann.heading} \u203a {sub}" if sub else ann.heading


def _product(ann: _Announcement, sub: str | None, cols: _Columns, rows: Sequence[tuple[str, ...]]) -> _Row | None:
    """A `Date | Update` table: one row for the product the announcement is about.

    Its shutdown is the date whose update says the product shuts down (is
    disabled, no longer available); when several do (self-serve fine-tuning ends
    for some organisations, then for all), the last one, when nothing of it is
    left. Every other date is a milestone, kept as worded, in date order (so the
    table's row order does not matter). No such update: no shutdown (an
    announcement date is never one).
    """
    steps = [(parse_date(cells[cols.date]), plain(cells[cols.date]), plain(cells[cols.subject]))
             for cells in rows if cells[cols.date] or cells[cols.subject]]
    if not steps:
        return None
    ends = [i for i, ((day, _), _, update) in enumerate(steps) if day is not None and _ENDS.search(update)]
    end = max(ends, key=lambda i: steps[i][0][0] or dt.date.min) if ends else None
    (shutdown, qualifier) = steps[end][0] if end is not None else (None, None)
    # Sorted, so that reordering the table's rows changes nothing (ISO dates sort by time).
    milestones = tuple(sorted(
        f"{(day.isoformat() + (f' ({q})' if q else '')) if day else text or 'undated'}: {update}"
        for i, ((day, q), text, update) in enumerate(steps) if i != end
    ))
    obs = Observation(
        key=f"{ann.token}/{slugify(ann.title)}",
        provider=PROVIDER,
        model=ann.title,
        status=Status.DEPRECATED,
        announced_on=ann.date,
        shutdown_on=shutdown,
        shutdown_qualifier=qualifier,
        milestones=milestones,
        is_model=False,
        section=_section(ann, sub),
        url=ann.url,
    )
    return _Row(obs, sub)


def _row(ann: _Announcement, sub: str | None, cols: _Columns, cells: tuple[str, ...]) -> _Row | None:
    section = _section(ann, sub)
    shutdown, qualifier = parse_date(cells[cols.date])
    model = parse_model_cell(cells[cols.subject])
    if model is None:
        return None
    replacement = parse_replacement(cells[cols.replacement]) if cols.replacement is not None else None
    if model.scope:
        section = f"{section} \u203a {model.scope}"
    obs = Observation(
        key=f"{ann.token}/{model.model}" + (f"@{slugify(model.scope)}" if model.scope else ""),
        source_id=plain(cells[cols.subject]) if model.scope else None,  # the row's own wording
        provider=PROVIDER,
        model=model.model,
        aliases=model.aliases,
        status=Status.DEPRECATED,
        announced_on=ann.date,
        shutdown_on=shutdown,
        shutdown_qualifier=qualifier,
        replacement=replacement,
        is_model=model.is_model,
        section=section,
        url=ann.url,
    )
    return _Row(obs, sub)


@dataclasses.dataclass(slots=True)
class _Tally:
    tables: int = 0
    recognised: int = 0


def _rows(blocks: Sequence[Block], tally: _Tally) -> Iterator[_Row]:
    """Rows with their heading context: h3 (or a dated heading) opens an announcement,
    a deeper heading a subsection, an undated shallower one (Upcoming/Past) closes it."""
    ann: _Announcement | None = None
    sub: str | None = None
    for block in blocks:
        if isinstance(block, Heading):
            date, title = split_heading(block.text)
            if ann is not None and block.level > ann.level:
                sub = block.text
            elif block.level >= 3 or date is not None:
                ann, sub = _Announcement(block.text, block.level, date, title), None
            else:
                ann, sub = None, None
            continue
        tally.tables += 1
        cols = _columns(block.header)
        if ann is None or cols is None:
            continue
        tally.recognised += 1
        if cols.product:
            if (product := _product(ann, sub, cols, block.rows)) is not None:
                yield product
            continue
        for cells in block.rows:
            if (row := _row(ann, sub, cols, cells)) is not None:
                yield row


def _disambiguate(rows: list[_Row]) -> list[Observation]:
    by_key: defaultdict[str, list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        by_key[row.observation.key].append(index)
    observations = [row.observation for row in rows]
    for key, indices in by_key.items():
        if len(indices) == 1:
            continue
        # Every row of the clash is qualified, so the result doesn't depend on
        # which one the page lists first.
        suffixes = [slugify(rows[i].subsection or "") for i in indices]
        if not (all(suffixes) and len(set(suffixes)) == len(suffixes)):
            suffixes = [str(n) for n in range(1, len(indices) + 1)]
        for index, suffix in zip(indices, suffixes):
            observations[index] = dataclasses.replace(observations[index], key=f"{key}#{suffix}")
    return observations


_HTML_HINT: Final = re.compile(r"<html|<table|<body", re.IGNORECASE)
_CHALLENGE: Final = re.compile(
    r"cf-chl|challenge-platform|<title>\s*(?:just a moment|attention required)", re.IGNORECASE
)


def is_html(text: str) -> bool:
    return text.lstrip().startswith("<") or _HTML_HINT.search(text) is not None


def parse(doc: Document) -> list[Observation]:
    text = doc.text
    if not text.strip():
        raise ParseError("empty document")
    html = is_html(text)
    if html:
        from sources.openai_deprecations_html import blocks, cut_short
    else:
        from sources.openai_deprecations_md import blocks, cut_short
    tally = _Tally()
    observations = _disambiguate(list(_rows(blocks(text), tally)))
    kind = "HTML" if html else "Markdown"
    if observations:
        # A cut body parses to fewer rows, or to a last row cut mid-cell (a false
        # `replacement: … → g`): refuse it whole rather than believe part of it.
        if (cut := cut_short(text)) is not None:
            raise ParseError(f"{kind}: truncated: {cut}")
        return observations
    if tally.recognised:
        raise ParseError(f"{kind}: {tally.recognised} deprecation tables, all without rows")
    hint = "; looks like a Cloudflare bot challenge" if _CHALLENGE.search(text) else ""
    status = f"; HTTP {doc.http_status}" if doc.http_status != 200 else ""
    where = f"{tally.tables} tables in all{hint}{status}"
    raise ParseError(f"{kind}: no deprecation tables under announcement headings ({where})")


SOURCE: Final = BuiltinSource(
    name="openai-deprecations",
    urls=(
        "https://developers.openai.com/api/docs/deprecations.md",
        "https://developers.openai.com/api/docs/deprecations",
    ),
    parser_version="2",
    parse_fn=parse,
    first_party=PROVIDER,
    description="OpenAI API deprecations page: announced model/endpoint shutdowns and replacements",
)
