"""A digest as a message: title, plain text, Markdown (Slack) and HTML (email). Pure.

The title names the most severe item. Each entry says what changed (old → new),
why it matters (severity, watched, days left), what to move to (replacement),
and where to look (a link to the source). Every scraped value goes through
`watcher.alerts.escape` for the format it lands in; our own markup never does.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Final

from watcher.alerts import escape
from watcher.alerts.channels import Bodies
from watcher.alerts.digest import (
    DEADLINE,
    DELISTED,
    DEPRECATED,
    HEALTH,
    MOVED,
    NEW,
    PRICE,
    Digest,
    Entry,
    days_phrase,
    plural,
)
from watcher.alerts.items import AlertItem
from watcher.model import ChangeKind
from watcher.present import price_change_text

TITLE_MAX: Final = 150
KEYS_SHOWN: Final = 10  # catalog entries named under a collapsed entry
NONE: Final = "—"


@dataclasses.dataclass(frozen=True, slots=True)
class _Style:
    """How one format writes scraped values, our emphasis and links."""

    value: Callable[[object], str]
    strong: Callable[[str], str]
    link: Callable[[str, str], str]  # (label, safe url) -> link
    code: Callable[[str], str]


_TEXT: Final = _Style(value=escape.plain, strong=lambda s: s, link=lambda label, url: f"{label}: {url}",
                      code=lambda s: s)
_MARKDOWN: Final = _Style(value=escape.markdown, strong=lambda s: f"**{s}**",
                          link=lambda label, url: f"[{label}]({url})", code=lambda s: f"`{s}`")
# Email's text part is apprise's conversion of this HTML, which keeps link text
# and drops targets: the visible text of a link is therefore its own URL.
_HTML: Final = _Style(value=escape.html_text, strong=lambda s: f"<b>{s}</b>",
                      link=lambda label, url: f'{label}: <a href="{url}">{url}</a>',
                      code=lambda s: f"<code>{s}</code>")


def render(digest: Digest, route: str) -> Bodies:
    return Bodies(
        title=title(digest),
        text=_body(digest, route, _TEXT, _lines_layout),
        markdown=_body(digest, route, _MARKDOWN, _lines_layout),
        html=_body(digest, route, _HTML, _html_layout),
    )


# --- title ------------------------------------------------------------------------------


def title(digest: Digest) -> str:
    top = digest.entries[0]
    rest = len(digest.entries) - 1
    text = f"{digest.severity.value.upper()}: {summary(top, digest.today)}"
    suffix = f" (+{rest} more)" if rest else ""
    text = escape.plain(text, TITLE_MAX - len(suffix))
    return text + suffix


def summary(e: Entry, today: dt.date) -> str:
    """The most telling thing about one entry, in a few words (unescaped)."""
    i = e.first
    days = e.days_left(today)
    if e.category == HEALTH:
        return f"source {i.source} {'recovered' if i.new == 'ok' else i.new}"
    if e.category == DEADLINE:
        return f"{i.name} shuts down {days_phrase(days)} ({_date(i)})"
    if e.category == DELISTED:
        return f"{i.name} delisted by {i.source}"
    if e.category == MOVED:
        moved = next(x for x in e.items if x.kind is ChangeKind.SHUTDOWN_DATE)
        return f"{i.name} shutdown moved {moved.old} → {moved.new}" + (f" ({_left(days)})" if days is not None else "")
    if e.category == DEPRECATED:
        when = f", shutdown {_date(i)} ({_left(days)})" if i.shutdown_on else ""
        return f"{i.name} deprecated{when}"
    if e.category == PRICE:
        price = next(x for x in e.items if x.kind is ChangeKind.PRICE)
        return f"{i.name} price {price_change_text(price.field or '', price.old, price.new, NONE)}"
    if e.category == NEW:
        return f"{i.name} newly listed by {i.source}"
    return f"{i.name} {i.field or i.kind.value}: {i.old or NONE} → {i.new or NONE}"


def _date(i: AlertItem) -> str:
    if i.shutdown_on is None:
        return NONE
    return i.shutdown_on.isoformat() + (f" {i.shutdown_qualifier}" if i.shutdown_qualifier else "")


def _left(days: int | None) -> str:
    if days is None:
        return "no date"
    if days >= 0:
        return f"{days} day{'s' if days != 1 else ''} left"
    return f"{-days} day{'s' if days != -1 else ''} past"


# --- body -------------------------------------------------------------------------------


def _intro(digest: Digest, route: str, style: _Style) -> str:
    where = ", ".join(digest.sources) if digest.kind != "reminder" else "shutdown reminders"
    head = "; ".join(style.value(sentence) for sentence in digest.headline)
    return f"{style.strong(style.value(where))}: {head}"


def _change_line(i: AlertItem, style: _Style, today: dt.date) -> str:
    v = style.value
    note = f" ({v(i.note)})" if i.note else ""
    if i.kind is ChangeKind.LISTED:
        # The facts line below already tells shutdown and replacement.
        rest = [part for part in (i.new or "").split("; ")
                if part and not part.startswith(("shutdown ", "replacement "))]
        return f"newly listed: {v('; '.join(rest))}{note}" if rest else f"newly listed{note}"
    if i.kind is ChangeKind.DELISTED:
        return f"delisted by {v(i.source)} (was: {v(i.old or NONE)}){note}"
    if i.kind is ChangeKind.DEADLINE:
        return f"shuts down {v(days_phrase(i.days_left(today)))}{note}"
    if i.kind is ChangeKind.SOURCE_HEALTH:
        return f"health: {v(i.old or NONE)} → {v(i.new or NONE)}{note}"
    if i.kind is ChangeKind.PRICE:
        return f"{v(price_change_text(i.field or '', i.old, i.new, NONE))}{note}"
    return f"{v(i.field or i.kind.value)}: {v(i.old or NONE)} → {v(i.new or NONE)}{note}"


def _header(e: Entry, style: _Style) -> str:
    i = e.first
    who = f" ({style.value(i.provider)})" if i.provider else ""
    watched = ", watched" if e.watched else ""
    entries = f", {len(e.keys)} catalog entries" if len(e.keys) > 1 else ""
    return f"{style.strong(e.severity.value.upper())} {style.strong(style.value(i.name))}{who}{watched}{entries}"


def _keys_line(e: Entry, style: _Style) -> list[str]:
    """Which catalog entries a collapsed entry covers (none for a single row)."""
    if len(e.keys) < 2:
        return []
    named = ", ".join(style.value(key) for key in e.keys[:KEYS_SHOWN])
    rest = f" and {len(e.keys) - KEYS_SHOWN} more" if len(e.keys) > KEYS_SHOWN else ""
    return [f"as: {named}{rest}"]


def _facts(e: Entry, style: _Style, today: dt.date) -> str:
    i = e.first
    parts: list[str] = []
    if i.shutdown_on is not None:
        parts.append(f"shutdown {style.value(_date(i))} ({_left(e.days_left(today))})")
    if i.replacement == "---":
        parts.append("no replacement")
    elif i.replacement:
        parts.append(f"replacement {style.value(i.replacement)}")
    url = escape.safe_url(i.url)
    source = style.value(i.source)
    parts.append(f"source {style.link(source, url)}" if url else f"source {source}")
    return " · ".join(parts)


def _entry_lines(e: Entry, style: _Style, today: dt.date) -> list[str]:
    return [_header(e, style), *_keys_line(e, style), *(_change_line(i, style, today) for i in e.items),
            _facts(e, style, today)]


def _more(digest: Digest, style: _Style) -> str | None:
    if not digest.more:
        return None
    # The command is ours (config names and times), not scraped: only HTML needs escaping.
    command = escape.html_text(digest.command, 2000) if style is _HTML else digest.command
    changes = plural(len(digest.change_ids), "change")
    return (f"…and {digest.more} more ({len(digest.entries)} in all, {changes}). "
            f"List all {changes}: {style.code(command)}")


def _body(digest: Digest, route: str, style: _Style,
          layout: Callable[[Digest, str, _Style, list[list[str]], str | None], str]) -> str:
    entries = [_entry_lines(e, style, digest.today) for e in digest.shown]
    return layout(digest, route, style, entries, _more(digest, style))


def _footer(digest: Digest, route: str) -> str:
    return f"route {route} · {plural(len(digest.change_ids), 'change')} · detected {digest.today.isoformat()}"


def _lines_layout(digest: Digest, route: str, style: _Style, entries: list[list[str]], more: str | None) -> str:
    # Slack has no nested lists: one bullet per entry, its details as indented lines.
    lines = [_intro(digest, route, style), ""]
    for entry in entries:
        lines.append("- " + entry[0])
        lines.extend("  " + line for line in entry[1:])
    if more:
        lines += ["", more]
    lines += ["", style.value(_footer(digest, route))]
    return "\n".join(lines)


def _html_layout(digest: Digest, route: str, style: _Style, entries: list[list[str]], more: str | None) -> str:
    items = "\n".join(f"<li>{'<br>'.join(entry)}</li>" for entry in entries)
    parts = [f"<p>{_intro(digest, route, style)}</p>", f"<ul>\n{items}\n</ul>"]
    if more:
        parts.append(f"<p>{more}</p>")
    parts.append(f'<p style="color:#666">{escape.html_text(_footer(digest, route))}</p>')
    return "\n".join(parts)
