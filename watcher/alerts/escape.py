"""Scraped text is data: make it inert in each format a message is written in.

Anything taken from a page (model ids, replacement text, availability words,
error messages) passes through `clean()` and then one of the format escapes
before it is placed in a message. The three threats, per docs/architecture.md, "Alerts":

- mentions: Slack's `<!channel>`/`<!here>`/`<@U123>` and, where link parsing is
  on, a bare `@here`; Discord's `@everyone`;
- links: `<https://x|y>` (Slack) and `[y](https://x)` (Markdown) that show one
  thing and go somewhere else;
- markup: HTML tags in email, Markdown emphasis breaking our own structure.
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Final
from urllib.parse import quote, urlsplit

MAX_VALUE: Final = 300
ZWSP: Final = "\u200b"  # zero-width space: `@\u200bhere` reads as @here but mentions nobody

_WHITESPACE: Final = re.compile(r"\s+")
# `@` starting a word: a mention in Slack (link_names), Discord, Teams. Not an
# email address (`a@b.c` has a word character before the `@`).
_MENTION: Final = re.compile(r"(?<![\w.@])@(?=\w)")
# CommonMark punctuation that apprise's Markdown→mrkdwn conversion or Slack
# itself interprets: links and images, autolinks/mentions, emphasis, code.
# `&` is left to apprise, which entity-escapes it; `_` and `~` only style text.
_MARKDOWN_SPECIAL: Final = re.compile(r"([\\`*\[\]()<>!])")
_LINK_JOIN: Final = re.compile(r"\]\(")
_URL_SAFE: Final = ":/?#@!$&+,;=%-._~"


def clean(value: object, limit: int = MAX_VALUE) -> str:
    """One line of printable text: control characters dropped, whitespace collapsed,
    so a scraped value can never start a new line of our message (a heading, a list)."""
    text = "" if value is None else str(value)
    text = "".join(ch if unicodedata.category(ch)[0] != "C" or ch in "\t\n" else " " for ch in text)
    text = _WHITESPACE.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def no_mentions(text: str) -> str:
    return _MENTION.sub("@" + ZWSP, text)


def no_markup(text: str) -> str:
    """Text that stays text wherever it is pasted or forwarded: a zero-width space
    after each `<` (no `<!channel>`, `<script>` or `<https://x|y>` survives) and
    between `](` (no Markdown link). It reads the same."""
    return _LINK_JOIN.sub("]" + ZWSP + "(", text.replace("<", "<" + ZWSP))


def plain(value: object, limit: int = MAX_VALUE) -> str:
    """For text bodies, titles and email subjects, webhooks' text and JSON values:
    receivers may parse mentions, Slack syntax, HTML or Markdown in what we send."""
    return no_markup(no_mentions(clean(value, limit)))


def markdown(value: object, limit: int = MAX_VALUE) -> str:
    """For CommonMark bodies that apprise converts for Slack, Discord, Telegram…"""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", plain(value, limit))


def html_text(value: object, limit: int = MAX_VALUE) -> str:
    # Neutralised as text too: the email's text part is apprise's rendering of this HTML.
    return html.escape(plain(value, limit), quote=True)


def safe_url(url: str | None) -> str | None:
    """An http(s) URL with every character that could end a link (or start
    markup) percent-encoded; None for anything else (javascript:, data:, …)."""
    if not url:
        return None
    text = clean(url, 2000)
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    # After the host, `@` is encoded too: `…#gpt%20@here` must not read as a mention.
    head = f"{parts.scheme}://{parts.netloc}"
    return quote(head, safe=_URL_SAFE) + quote(text[len(head):], safe=_URL_SAFE.replace("@", ""))
