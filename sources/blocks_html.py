"""HTML page -> `Heading`/`Table` blocks (see sources.blocks).

Headings and tables are taken in document order wherever they sit (bare, or in
wrapper `div`s). Anchor icons, footnote markers (`<sup>`) and other non-text
furniture are dropped. `rowspan` cells are repeated on the rows they span
(Bedrock spans a model's cells over its region rows); a row of one cell spanning
the table (Gemini's "Preview models") is padded with empty cells, as every short
row is (and as a Markdown rendering of it would be).
"""

from __future__ import annotations

from typing import Final

from selectolax.lexbor import LexborHTMLParser, LexborNode

from sources.blocks import Block, Heading, Table, clean_text, plain

_SKIPPED: Final = frozenset({"svg", "script", "style", "button", "template", "noscript", "sup"})


def inline(node: LexborNode) -> str:
    """An element's text in the neutral convention: `<code>` becomes backticks."""
    parts: list[str] = []
    child = node.child
    while child is not None:
        tag = child.tag
        if tag == "-text":
            parts.append(child.text_content or "")
        elif tag == "code":
            code = clean_text(inline(child))
            parts.append(f"`{code}`" if code else "")
        elif tag == "br":
            parts.append(" ")
        elif tag not in _SKIPPED and child.attributes.get("aria-hidden") != "true":
            parts.append(inline(child))
        child = child.next
    return clean_text("".join(parts))


def _span(cell: LexborNode, name: str) -> int:
    value = cell.attributes.get(name) or "1"
    return max(1, min(int(value), 100)) if value.isdigit() else 1


def _rows(node: LexborNode) -> list[tuple[LexborNode, tuple[str, ...]]]:
    """Each row's cells with rowspans filled in from the rows above."""
    carried: dict[int, tuple[str, int]] = {}  # column -> (text, rows still to fill)
    out: list[tuple[LexborNode, tuple[str, ...]]] = []
    for tr in node.css("tr"):
        cells = tr.css("td, th")
        if not cells:
            continue
        row: list[str] = []
        queue = list(cells)
        column = 0
        while queue or column in carried:
            if column in carried:
                text, left = carried.pop(column)
                row.append(text)
                if left > 1:
                    carried[column] = (text, left - 1)
                column += 1
                continue
            cell = queue.pop(0)
            text = inline(cell)
            for offset in range(_span(cell, "colspan") if len(cells) > 1 else 1):
                row.append(text)
                if (down := _span(cell, "rowspan")) > 1:
                    carried[column + offset] = (text, down - 1)
            column += _span(cell, "colspan") if len(cells) > 1 else 1
        out.append((tr, tuple(row)))
    return out


def _table(node: LexborNode) -> Table:
    rows = _rows(node)
    if not rows:
        return Table((), ())
    in_head = [tr.parent is not None and tr.parent.tag == "thead" for tr, _ in rows]
    # Without a <thead>, the first row is the header (as Markdown renders it).
    head_index = in_head.index(True) if any(in_head) else 0
    header = rows[head_index][1]
    width = len(header)
    after = head_index + 1
    body = ((cells + ("",) * width)[:width] for (_, cells), head in zip(rows[after:], in_head[after:]) if not head)
    return Table(header, tuple(body))


def cut_short(text: str) -> str | None:
    """Why this body is evidently incomplete (a truncated transfer), or None.

    The parser would happily close what was left open, so we look at the raw
    text. A document whose `</body>` or `</html>` arrived is whole (a script's
    text that mentions `<table` cannot make it look cut). Otherwise a `<table>`
    never closed, or an `<html>` document that stops before its end, was cut.
    """
    lowered = text.lower()
    if "</body" in lowered or "</html" in lowered:
        return None
    if lowered.rfind("<table") > lowered.rfind("</table"):
        return "the body ends inside an open <table>"
    if "<html" in lowered:
        return "the body ends before </body></html>"
    return None


def blocks(text: str) -> list[Block]:
    tree = LexborHTMLParser(text)
    found: list[Block] = []
    # One selector list: lexbor returns the matches in document order.
    for node in tree.css("h1, h2, h3, h4, h5, h6, table"):
        tag = node.tag or ""
        if tag == "table":
            found.append(_table(node))
        else:
            found.append(Heading(int(tag[1]), plain(inline(node))))
    return found
