"""HTML rendering of OpenAI's deprecations page -> `Heading`/`Table` blocks.

Headings and tables are taken in document order wherever they sit: the 2025
site puts tables as bare siblings after `div.anchor-heading-wrapper > h3`, the
2026 site wraps them in an overflow `div`. Anchor icons (`<svg>`) and other
non-text furniture are dropped from heading and cell text.
"""

from __future__ import annotations

from typing import Final

from selectolax.lexbor import LexborHTMLParser, LexborNode

from sources.openai_deprecations_cells import Block, Heading, Table, clean_text, plain

_SKIPPED: Final = frozenset({"svg", "script", "style", "button", "template", "noscript"})


def inline(node: LexborNode) -> str:
    """An element's text in the neutral convention: `<code>` becomes backticks."""
    parts: list[str] = []
    child = node.child
    while child is not None:
        tag = child.tag
        if tag == "-text":
            parts.append(child.text_content or "")
        elif tag == "code":
            parts.append(f"`{clean_text(child.text(deep=True))}`")
        elif tag == "br":
            parts.append(" ")
        elif tag not in _SKIPPED and child.attributes.get("aria-hidden") != "true":
            # aria-hidden: anchor links ("#", "¶") and other decoration.
            parts.append(inline(child))
        child = child.next
    return clean_text("".join(parts))


def _cells(tr: LexborNode) -> tuple[str, ...]:
    return tuple(inline(cell) for cell in tr.css("td, th"))


def _table(node: LexborNode) -> Table:
    rows = [tr for tr in node.css("tr") if tr.css_first("td, th") is not None]
    in_head = [tr.parent is not None and tr.parent.tag == "thead" for tr in rows]
    if not rows:
        return Table((), ())
    # Without a <thead>, the first row is the header (as Markdown renders it).
    head_index = in_head.index(True) if any(in_head) else 0
    header = _cells(rows[head_index])
    width = len(header)
    after = head_index + 1
    body = (_cells(tr) for tr, head in zip(rows[after:], in_head[after:]) if not head)
    return Table(header, tuple((row + ("",) * width)[:width] for row in body))


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
