"""The neutral form both renderings of OpenAI's deprecations page reduce to, and how its cells read.

The Markdown and HTML front-ends turn a page into a flat list of `Heading` and
`Table` blocks whose text follows one convention: inline code is wrapped in
backticks, links are replaced by their text, escapes and entities are decoded,
whitespace is collapsed. Everything after that point is shared, which is what
makes both renderings of the same content yield identical observations.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import unicodedata
from typing import Final

from watcher.model import NO_REPLACEMENT


@dataclasses.dataclass(frozen=True, slots=True)
class Heading:
    level: int
    text: str  # plain text: code backticks already removed


@dataclasses.dataclass(frozen=True, slots=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]  # cells in the backtick convention


Block = Heading | Table

# Hyphen look-alikes that only ever mean "-" on this page (U+2011 shows up in dates).
_HYPHENS: Final = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2212": "-"})
_WS: Final = re.compile(r"\s+")


def clean_text(text: str) -> str:
    """Collapse whitespace (NBSP included) and fold hyphen look-alikes."""
    return _WS.sub(" ", text.translate(_HYPHENS)).strip()


def plain(text: str) -> str:
    """Cell or heading text without code backticks."""
    return clean_text(text.replace("`", ""))


def slugify(text: str) -> str:
    """Anchor-style slug: ASCII lowercase words joined by single hyphens.

    Ours, not the page's `id` attribute, so both renderings (and a site that
    changes its slugger) give the same keys and URLs.
    """
    # Apostrophes vanish rather than split words: "OpenAI’s" and "OpenAI's" -> "openais".
    text = plain(text).replace("\u2019", "").replace("'", "")
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


# --- dates -------------------------------------------------------------------

_MONTHS: Final = (
    "january february march april may june july august september october november december"
).split()
_EARLIEST: Final = re.compile(r"^(?:at\s+(?:the\s+)?)?earliest\s*:?\s*|\s*\(?at\s+the\s+earliest\)?$")
_ISO: Final = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_MONTH_DAY_YEAR: Final = re.compile(r"([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})")
_DAY_MONTH_YEAR: Final = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?,?\s+(\d{4})")
_MONTH_YEAR: Final = re.compile(r"([a-z]+)\.?,?\s+(\d{4})")


def _month(word: str) -> int | None:
    if len(word) < 3:
        return None
    for number, name in enumerate(_MONTHS, start=1):
        if name.startswith(word) or (word == "sept" and number == 9):
            return number
    return None


def _date(year: str, month: int | None, day: str) -> dt.date | None:
    if month is None:
        return None
    try:
        return dt.date(int(year), month, int(day))
    except ValueError:
        return None


def parse_date(text: str) -> tuple[dt.date | None, str | None]:
    """(date, qualifier) from `2026-07-23`, `Aug 10, 2026`, `at earliest 2024-06-13`, `June 2026`.

    The qualifier is None, "earliest", "month" or "earliest-month" (see
    `Observation.shutdown_qualifier`). Unreadable text gives (None, None).
    """
    text = plain(text).translate({0x2013: "-"}).lower().rstrip("*").strip()
    earliest = bool(_EARLIEST.search(text))
    text = _EARLIEST.sub("", text).strip()
    found: dt.date | None = None
    month_only = False
    if m := _ISO.fullmatch(text):
        found = _date(m[1], int(m[2]), m[3])
    elif m := _MONTH_DAY_YEAR.fullmatch(text):
        found = _date(m[3], _month(m[1]), m[2])
    elif m := _DAY_MONTH_YEAR.fullmatch(text):
        found = _date(m[3], _month(m[2]), m[1])
    elif m := _MONTH_YEAR.fullmatch(text):
        found, month_only = _date(m[2], _month(m[1]), "1"), True
    if found is None:
        return None, None
    qualifier = "month" if month_only else None
    if earliest:
        qualifier = "earliest-month" if month_only else "earliest"
    return found, qualifier


_HEADING_DATE: Final = re.compile(
    r"(?P<date>[^:]{6,30}?)\s*:\s*(?P<title>.+)"  # 2026-06-11: title, July 23, 2026: title
    r"|(?P<iso>\d{4}-\d{2}-\d{2})\s*[-\u2013\u2014]?\s*(?P<rest>.+)"  # 2026-06-11 - title
)


def split_heading(text: str) -> tuple[dt.date | None, str]:
    """(announcement date, title without the date) for `2026-06-11: GPT-5 and o3 …`."""
    text = plain(text)
    m = _HEADING_DATE.fullmatch(text)
    if m:
        date_text, title = (m["date"], m["title"]) if m["date"] else (m["iso"], m["rest"])
        found, qualifier = parse_date(date_text)
        if found is not None and qualifier is None:
            return found, title.strip()
    return None, text


# --- model and replacement cells ----------------------------------------------

_CODE: Final = re.compile(r"`([^`]*)`")
# A bare id such as `gpt-4o-realtime-preview-2024-10-01`, `ada` or `ft:gpt-4o:acme`;
# anything with spaces, capitals or a leading slash names an API, header or endpoint.
_MODEL_ID: Final = re.compile(r"[a-z0-9][a-z0-9._\-]*(?::[a-z0-9._\-]+)*")
_SEPARATOR: Final = re.compile(r"\s*[,;]\s*(?:(?:or|and)\s+)?|\s+(?:or|and)\s+")
_NONE_WORDS: Final = frozenset({"---", "--", "-", "\u2014", "\u2013", "none", "n/a"})
_FOOTNOTE: Final = re.compile(r"(?<=\S)\*+(?=\s|\)|$)")
_MASKED: Final = re.compile(r"\x00(\d+)\x00")
_ALIAS_PROSE: Final = re.compile(r"(?:including|incl\.|aliases?|also)\b", re.IGNORECASE)


def _clean_item(text: str) -> str:
    return _FOOTNOTE.sub("", plain(text)).strip(" .")


def split_list(text: str) -> list[str]:
    """`a`, `b`, or `c` -> [a, b, c]; separators inside code or parentheses don't split."""
    protected: list[str] = []

    def protect(m: re.Match[str]) -> str:
        protected.append(m[0])
        return f"\x00{len(protected) - 1}\x00"

    masked = _CODE.sub(protect, text)
    depth_at: list[int] = []
    depth = 0
    for char in masked:
        depth_at.append(depth)
        depth += (char == "(") - (char == ")")
    parts: list[str] = []
    start = 0
    for m in _SEPARATOR.finditer(masked):
        if depth_at[m.start()] == 0:
            parts.append(masked[start : m.start()])
            start = m.end()
    parts.append(masked[start:])
    return [_MASKED.sub(lambda m: protected[int(m[1])], part) for part in parts]


def _ids(text: str) -> list[str]:
    """Ids in an alias list: the code spans if any, else the listed words."""
    spans = _CODE.findall(text)
    items = spans if spans else split_list(text)
    return [item for item in (_clean_item(i) for i in items) if item]


def is_model_id(text: str) -> bool:
    return _MODEL_ID.fullmatch(text) is not None


def _prose_ids(text: str) -> list[str]:
    """Id-looking words of "including gpt-4-turbo-preview and …, which point to …".

    The same prose without backticks must name the same aliases; a digit or a
    hyphen tells an id from the English around it.
    """
    return [w for w in re.split(r"[\s,]+", text) if is_model_id(w) and re.search(r"[\d-]", w)]


@dataclasses.dataclass(frozen=True, slots=True)
class ModelCell:
    model: str
    aliases: tuple[str, ...]
    is_model: bool
    # What of the model the row is about, when not the model itself:
    # "New fine-tuning training on `babbage-002`" -> model babbage-002, scope
    # "new fine-tuning training" (and is_model False: its date is not the model's).
    scope: str | None = None


# "… training on `x`": the word that joins the scope to the id is not part of the scope.
_JOINING_WORD: Final = re.compile(r"\s+(?:on|for|of|with|in|to|using|via)$", re.IGNORECASE)


def _scoped(text: str) -> ModelCell | None:
    """Prose around exactly one model id: the row is about that model, in that scope.

    The id is the one code span; without backticks, the one word that reads as
    an id and has a digit (`babbage-002`, not "fine-tuning"), so that the same
    prose gives the same row either way.
    """
    spans = list(_CODE.finditer(text))
    if spans:
        found = [(m.start(), m.end(), _clean_item(m[1])) for m in spans]
    else:
        found = [(m.start(), m.end(), _clean_item(m[0])) for m in re.finditer(r"\S+", text)
                 if is_model_id(_clean_item(m[0])) and re.search(r"\d", m[0])]
    if len(found) != 1 or not is_model_id(found[0][2]):
        return None
    start, end, model = found[0]
    before = _JOINING_WORD.sub("", clean_text(text[:start]))
    scope = clean_text(f"{before} {text[end:]}").strip(" .,:;")
    if not re.search(r"[A-Za-z]{2}", scope):
        return None
    scope = scope if scope[:2].isupper() else scope[0].lower() + scope[1:]
    return ModelCell(model, (), False, scope)


def parse_model_cell(cell: str) -> ModelCell | None:
    """`a` | `b`, `c`  or  `a` (including `b` and `c`, which point …)  or  Videos API
    or  New fine-tuning training on `babbage-002` (a scoped row)."""
    text = clean_text(cell)
    primary, _, alias_part = text.partition("|")
    aliases = _ids(alias_part)
    paren = re.fullmatch(r"(.*?)\s*\((.*)\)", primary.strip())
    if paren and paren[1] and ("`" in paren[2] or _ALIAS_PROSE.match(paren[2])):
        primary, inside = paren[1], paren[2]
        aliases += _CODE.findall(inside) or _prose_ids(inside)
    model = _clean_item(primary)
    if not model:
        return None
    if not is_model_id(model) and not aliases and (scoped := _scoped(primary)) is not None:
        return scoped
    clean_aliases = sorted({a for a in (_clean_item(x) for x in aliases) if a and a != model})
    return ModelCell(model, tuple(clean_aliases), is_model_id(model))


def parse_replacement(cell: str) -> tuple[str, ...] | None:
    """None when the cell is empty (not stated), NO_REPLACEMENT for `---`, else items in order."""
    text = clean_text(cell)
    if not text:
        return None
    if plain(text).lower() in _NONE_WORDS:
        return NO_REPLACEMENT
    items = tuple(item for item in (_clean_item(part) for part in split_list(text)) if item)
    return items or None
