"""Markdown page -> `Heading`/`Table` blocks (see sources.blocks).

What lifecycle pages use: ATX headings, GFM pipe tables (with `\\|` escaping a
pipe inside a cell), fenced code blocks and HTML comments to skip, and inline
code, links, escapes, entities and footnote markers (`<sup>1</sup>`) inside cells.
"""

from __future__ import annotations

import html
import re
from typing import Final

from sources.blocks import Block, Heading, Table, clean_text, plain

_HEADING: Final = re.compile(r" {0,3}(#{1,6})(?:\s+(.*?))?(?:\s+#+)?\s*")
_FENCE: Final = re.compile(r" {0,3}(`{3,}|~{3,})")
_DELIMITER: Final = re.compile(r"\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*")
_UNESCAPED_PIPE: Final = re.compile(r"(?<!\\)\|")
_CODE_SPAN: Final = re.compile(r"(`+)(.+?)\1")
_LINK: Final = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_AUTOLINK: Final = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_TAG: Final = re.compile(r"</?[A-Za-z][^>]*>")
_ESCAPE: Final = re.compile(r"\\([!-/:-@\[-`{-~])")


_FOOTNOTE_MARK: Final = re.compile(r"<sup>.*?</sup>", re.IGNORECASE)
_COMMENT: Final = re.compile(r"<!--.*?-->", re.DOTALL)


def _inline_text(text: str) -> str:
    """Non-code Markdown inline -> the neutral convention."""
    text = _FOOTNOTE_MARK.sub("", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _TAG.sub(" ", text)
    return html.unescape(_ESCAPE.sub(r"\1", text))


def inline(text: str) -> str:
    """A cell's Markdown -> backtick-code convention; code span contents stay literal."""
    # Links first, so `[`id`](url)` keeps its code span; link syntax inside a
    # code span would be unwrapped too, which this page never has.
    text = _LINK.sub(r"\1", text)
    out: list[str] = []
    pos = 0
    for m in _CODE_SPAN.finditer(text):
        out.append(_inline_text(text[pos : m.start()]))
        out.append(f"`{m[2].strip()}`")
        pos = m.end()
    out.append(_inline_text(text[pos:]))
    return clean_text("".join(out))


def _split_row(line: str) -> list[str]:
    line = line.strip()
    line = line.removeprefix("|")
    if line.endswith("|") and not line.endswith("\\|"):
        line = line[:-1]
    # GFM: `\|` is a literal pipe in the cell, inside code spans too.
    return [inline(cell.replace("\\|", "|")) for cell in _UNESCAPED_PIPE.split(line)]


def cut_short(text: str) -> str | None:
    """Why this body is evidently incomplete (a truncated transfer), or None.

    A served file ends with a line end; its last line cut off mid-way (mid-row,
    mid-sentence) is what a truncated body looks like, even with a Content-Length
    that matches what arrived. A last table row without its closing pipe, or a
    table that ends the body after its header, is the same cut a line earlier.
    A cut exactly at the end of a line in prose cannot be told from an edit: the
    guard's row and fact checks are what stand behind that case.
    """
    if not text.endswith(("\n", "\r")):
        last = text.rsplit("\n", 1)[-1].strip()
        where = "a table row" if last.startswith("|") else "a line"
        return f"the body ends inside {where} ({_preview(last)})"
    lines = [line for line in text.splitlines() if line.strip()]
    last = lines[-1].strip() if lines else ""
    if last.startswith("|") and not last.endswith("|"):
        return f"the last table row has no closing pipe ({_preview(last)})"
    if _is_delimiter(last) and len(lines) > 1 and "|" in lines[-2]:
        return "the body ends after a table's header, before its rows"
    return None


def _preview(line: str) -> str:
    return repr(line if len(line) <= 40 else "…" + line[-40:])


def _is_delimiter(line: str) -> bool:
    return "-" in line and _DELIMITER.fullmatch(line) is not None


def blocks(text: str) -> list[Block]:
    lines = _COMMENT.sub("", text).splitlines()
    found: list[Block] = []
    fence: str | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if fence is not None:
            if line.strip().startswith(fence):
                fence = None
            i += 1
            continue
        if m := _FENCE.match(line):
            fence = m[1]
            i += 1
            continue
        if m := _HEADING.fullmatch(line):
            found.append(Heading(len(m[1]), plain(inline(m[2] or ""))))
            i += 1
            continue
        if "|" in line and i + 1 < len(lines) and _is_delimiter(lines[i + 1]):
            header = tuple(_split_row(line))
            rows: list[tuple[str, ...]] = []
            i += 2
            while i < len(lines) and lines[i].strip() and not _HEADING.fullmatch(lines[i]):
                cells = _split_row(lines[i])
                # GFM pads short rows and drops the excess of long ones.
                rows.append(tuple((cells + [""] * len(header))[: len(header)]))
                i += 1
            found.append(Table(header, tuple(rows)))
            continue
        i += 1
    return found
