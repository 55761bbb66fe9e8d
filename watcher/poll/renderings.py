"""Sources whose URLs are renderings that say different amounts (docs/architecture.md, "The guard").

OpenAI's pricing page has a `.md` twin (fetched first) that lacks the image and
video tables and whose generator cuts some tables short, and the rendered HTML
(the fallback) that has them all. Diffing one rendering against history written
from the other reads what the twin cannot say as removals: a fallback to the
HTML and back would delist `sora-2` (a watched model: a critical page) and the
fallback itself would report every image price as a new one.

So such a source is compared like with like. A poll judges as missing only the
rows and prices that the same rendering stated last time; the rest are carried
from the current versions (another rendering stated them). The first poll ever
served by a rendering states new rows and prices silently, as a baseline does.

A rendering is the kind of document (Markdown, HTML), not where it was read
from: the `.md` twin fetched live and a `2026-03-27T04:35:00Z.md` capture
backfilled from disk are the same rendering, so a directory of captures records
what polling them in turn from one URL would.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import urlsplit

from watcher.model import Change, ChangeKind, Observation


def renders_partially(source: object) -> bool:
    """Does the source declare that its URLs' renderings state different subsets?"""
    return bool(getattr(source, "partial_renderings", False))


def rendering(url: str | None, content_type: str | None) -> str:
    """The kind of document a body is: `markdown`, `html`, or its media type."""
    path = urlsplit(url or "").path.lower()
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media in ("text/markdown", "text/x-markdown"):
        return "markdown"
    if media in ("text/html", "application/xhtml+xml"):
        return "html"
    if path.endswith((".md", ".markdown")):
        return "markdown"
    return media or "html"  # a page URL without an extension, served without a type, is the rendered page


def carry_unstated(observations: Sequence[Observation], previous: Mapping[str, Observation],
                   earlier: Iterable[Observation] | None) -> list[Observation]:
    """`observations`, completed with what this rendering did not state last time either.

    `earlier` is this rendering's previous parse; None when it has none (every
    missing row and price is then carried: there is nothing like to compare with).
    """
    stated = {obs.key: obs for obs in earlier} if earlier is not None else {}
    out: list[Observation] = []
    seen: set[str] = set()
    for obs in observations:
        seen.add(obs.key)
        before, said = previous.get(obs.key), stated.get(obs.key)
        if before is not None:
            unsaid = {key: value for key, value in before.prices.items()
                      if key not in obs.prices and (said is None or key not in said.prices)}
            if unsaid:
                obs = dataclasses.replace(obs, prices=dict(sorted({**unsaid, **obs.prices}.items())))
        out.append(obs)
    out.extend(before for key, before in previous.items() if key not in seen and key not in stated)
    return out


def without_additions(changes: Sequence[Change]) -> list[Change]:
    """A rendering's first poll: its new rows and prices are stored, not reported."""
    return [c for c in changes
            if c.kind is not ChangeKind.LISTED and not (c.kind is ChangeKind.PRICE and c.old is None)]
