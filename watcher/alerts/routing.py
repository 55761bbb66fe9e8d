"""Which channels hear about which changes (docs/architecture.md, "Alerts"). Pure.

Routes are tried in config order. A change may match several routes, but it
reaches each channel once: the first matching route that names a channel
carries it there. With no routes configured, every change goes to every channel.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, Final

from watcher.alerts.items import AlertItem
from watcher.config import RouteSettings
from watcher.matching import matches

DEFAULT_ROUTE: Final = "all"


@dataclasses.dataclass(frozen=True, slots=True)
class Batch:
    """The items one route carries to one channel: one message."""

    route: str
    channel: str
    when: Mapping[str, Any]
    items: tuple[AlertItem, ...]


def effective_routes(routes: Sequence[RouteSettings], channels: Sequence[str]) -> tuple[RouteSettings, ...]:
    if routes:
        return tuple(routes)
    return (RouteSettings(name=DEFAULT_ROUTE, channels=tuple(channels)),) if channels else ()


def route(items: Sequence[AlertItem], routes: Sequence[RouteSettings], channels: Sequence[str]) -> list[Batch]:
    """Group `items` into one batch per (route, channel), in route then channel order.
    `channels` are the channels that are on: a route's other channels are skipped."""
    chosen: dict[tuple[str, str], list[AlertItem]] = {}
    order: list[tuple[RouteSettings, str]] = []
    for found in effective_routes(routes, channels):
        for channel in found.channels:
            if channel in channels and (found.name, channel) not in chosen:
                chosen[(found.name, channel)] = []
                order.append((found, channel))
    for it in items:
        change = it.as_change()
        taken: set[str] = set()
        for found in effective_routes(routes, channels):
            if not matches(found.when, change, is_watched=it.watched):
                continue
            for channel in found.channels:
                if channel in channels and channel not in taken:
                    taken.add(channel)
                    chosen[(found.name, channel)].append(it)
    return [Batch(route=r.name, channel=channel, when=r.when, items=tuple(chosen[(r.name, channel)]))
            for r, channel in order if chosen[(r.name, channel)]]
