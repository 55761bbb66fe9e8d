"""How lifecycle tables' model and replacement cells read (any provider).

Cells come in the neutral convention of sources.blocks: code in backticks.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Final

from sources.blocks import clean_text, plain
from watcher.model import NO_REPLACEMENT

_CODE: Final = re.compile(r"`([^`]*)`")
# A bare id such as `gpt-4o-realtime-preview-2024-10-01`, `ada`, `ft:gpt-4o:acme` or
# `multimodalembedding@001`; anything with spaces, capitals or a leading slash
# names an API, header or endpoint.
_MODEL_ID: Final = re.compile(r"[a-z0-9][a-z0-9._\-@]*(?::[a-z0-9._\-]+)*")
_SEPARATOR: Final = re.compile(r"\s*[,;]\s*(?:(?:or|and)\s+)?|\s+(?:or|and)\s+")
_NONE_WORDS: Final = frozenset({"---", "--", "-", "\u2014", "\u2013", "none", "n/a", "no replacement"})
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
    """Id-looking words of "including gpt-4-turbo-preview and …, which point to …"."""
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
    """None when the cell is empty (not stated), NO_REPLACEMENT for `---`/`—`, else items in order
    (ids and prose alike: "`veo-3.1-generate-preview` or the GA models on …" names both)."""
    text = clean_text(cell)
    if not text:
        return None
    if plain(text).lower() in _NONE_WORDS:
        return NO_REPLACEMENT
    items = tuple(item for item in (_clean_item(part) for part in split_list(text)) if item)
    return items or None
