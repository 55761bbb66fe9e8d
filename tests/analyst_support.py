"""Building histories for the analyst tests: a toy catalog source, a churning
sequence of snapshots, and an independent oracle of the SCD-2 versions the
pipeline must write for them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any, cast

from sources.base import BuiltinSource
from watcher.config import SourceSettings
from watcher.model import NO_REPLACEMENT, Document, Observation, ParseError, PriceKey, PriceUnit, Status
from watcher.money import format_price, to_decimal
from watcher.poll.pipeline import Poller

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
Row = dict[str, Any]


def parse_catalog(doc: Document) -> list[Observation]:
    """A JSON list of rows: id, model, provider, status, shutdown, replacement, input, output, alias."""
    try:
        rows = json.loads(doc.body)
    except ValueError as exc:
        raise ParseError("not JSON") from exc
    out = []
    for row in rows:
        prices: dict[PriceKey, Decimal] = {}
        if row.get("input") is not None:
            prices[PriceKey("input")] = cast(Decimal, to_decimal(row["input"]))
        if row.get("output") is not None:
            prices[PriceKey("output", PriceUnit.PER_1M_TOKENS, "batch")] = cast(Decimal, to_decimal(row["output"]))
        out.append(Observation(
            key=row["id"], provider=row.get("provider", "openai"), model=row.get("model", row["id"]),
            status=Status(row["status"]) if row.get("status") else None,
            shutdown_on=dt.date.fromisoformat(row["shutdown"]) if row.get("shutdown") else None,
            replacement=_replacement(row.get("replacement")),
            prices=prices, aliases=(row["alias"],) if row.get("alias") else (),
        ))
    return out


def _replacement(text: str | None) -> tuple[str, ...] | None:
    if not text:
        return None
    return NO_REPLACEMENT if text == "---" else tuple(text.split(", "))


def catalog_source(name: str = "toy-catalog", parse: Any = parse_catalog, version: str = "1") -> BuiltinSource:
    return BuiltinSource(name=name, urls=(f"http://127.0.0.1/{name}",), parser_version=version, parse_fn=parse)


def catalog_doc(source: str, rows: Sequence[Row], at: dt.datetime) -> Document:
    return Document(source=source, url=f"http://127.0.0.1/{source}", body=json.dumps(list(rows)).encode(),
                    fetched_at=at, content_type="application/json")


def record(poller: Poller, source: BuiltinSource, settings: SourceSettings, rows: Sequence[Row],
           at: dt.datetime) -> str:
    return poller.record_document(source, settings, catalog_doc(source.name, rows, at)).outcome


# --- a churning history and its oracle ------------------------------------------------------


def churn(seed: int, models: int, polls: int, start: dt.datetime = T0,
          step: dt.timedelta = dt.timedelta(hours=1)) -> Iterator[tuple[dt.datetime, list[Row]]]:
    """Snapshots of a catalog: mostly unchanged polls, price moves, deprecations, (flapping) removals, new ids."""
    rng = random.Random(seed)
    live: dict[str, Row] = {}
    for i in range(models):
        live[f"m{i}"] = _new_row(i, rng)
    next_id = models
    hidden: dict[str, Row] = {}
    for n in range(polls):
        at = start + n * step
        if n and rng.random() < 0.6:
            yield at, _listing(live)  # nothing happened this hour
            continue
        for key in rng.sample(sorted(live), k=min(3, len(live))):
            row = live[key]
            move = rng.random()
            if move < 0.4:
                row["input"] = str(rng.choice([0.1, 0.5, 1, 2.5, 5, 10, 15]))
            elif move < 0.55:
                row["output"] = None if row.get("output") else str(rng.choice([1, 2, 4]))
            elif move < 0.7:
                row["status"] = "deprecated"
                row["shutdown"] = (start.date() + dt.timedelta(days=rng.randint(30, 400))).isoformat()
                row["replacement"] = rng.choice(["---", "gpt-5", "gpt-5, gpt-5-mini"])
            elif move < 0.8:
                hidden[key] = live.pop(key)  # gone for a while (one poll: a flap; longer: delisted)
            elif move < 0.9:
                row["alias"] = None if row.get("alias") else f"alias-{key}"
        for key in [k for k in hidden if rng.random() < 0.5]:
            live[key] = hidden.pop(key)
        if rng.random() < 0.3:
            live[f"m{next_id}"] = _new_row(next_id, rng)
            next_id += 1
        yield at, _listing(live)


def _new_row(i: int, rng: random.Random) -> Row:
    return {"id": f"m{i}", "model": f"model-{i}", "status": "active", "input": str(rng.choice([1, 2.5, 5])),
            "output": None, "shutdown": None, "replacement": None, "alias": None}


def _listing(live: dict[str, Row]) -> list[Row]:
    return [dict(live[key]) for key in sorted(live)]


@dataclasses.dataclass
class Version:
    key: str
    facts: dict[str, Any]
    valid_from: dt.datetime
    valid_to: dt.datetime | None = None


def facts(row: Row) -> dict[str, Any]:
    """What the store keeps of a row, as the query commands print it."""
    prices = {}
    if row.get("input") is not None:
        prices["input/per_1m_tokens/standard"] = _price(row["input"])
    if row.get("output") is not None:
        prices["output/per_1m_tokens/batch"] = _price(row["output"])
    return {"model": row["model"], "status": row.get("status"), "shutdown_on": row.get("shutdown"),
            "replacement": row.get("replacement"), "aliases": row.get("alias"),
            "prices": json.dumps(dict(sorted(prices.items())), separators=(",", ":")) if prices else None}


def _price(text: str) -> str:
    value = to_decimal(text)
    assert value is not None
    return format_price(value)


def oracle(snapshots: Sequence[tuple[dt.datetime, list[Row]]], delist_after: int) -> list[Version]:
    """The SCD-2 versions docs/architecture.md ("The data model") describes, computed without the pipeline."""
    versions: list[Version] = []
    current: dict[str, Version] = {}
    misses: dict[str, int] = {}
    for at, rows in snapshots:
        seen = {row["id"]: facts(row) for row in rows}
        for key, now in seen.items():
            misses.pop(key, None)
            version = current.get(key)
            if version is not None and version.facts == now:
                continue
            if version is not None:
                version.valid_to = at
            current[key] = Version(key, now, at)
            versions.append(current[key])
        for key in [k for k in current if k not in seen]:
            misses[key] = misses.get(key, 0) + 1
            if misses[key] >= delist_after:
                current.pop(key).valid_to = at
                del misses[key]
    return versions


def as_of(versions: Sequence[Version], at: dt.datetime) -> dict[str, dict[str, Any]]:
    return {v.key: v.facts for v in versions
            if v.valid_from <= at and (v.valid_to is None or at < v.valid_to)}


# --- a small, realistic database for the documented queries and the commands ------------------


def populate(poller: Poller, today: dt.date) -> None:
    """OpenAI's deprecations page (two real captures), two toy catalogs that reprice,
    deprecate and delist, and one failed poll: something for every documented query."""
    from sources.registry import builtin
    from tests.support import FIXTURES

    deprecations = builtin("openai-deprecations")
    settings = SourceSettings(name="openai-deprecations")
    for name, at in (("deprecations-2025-11-13.html", dt.datetime(2025, 11, 13, tzinfo=dt.UTC)),
                     ("deprecations-2026-06-27.md", dt.datetime(2026, 6, 27, tzinfo=dt.UTC))):
        body = (FIXTURES / "openai_deprecations" / name).read_bytes()
        content_type = "text/markdown" if name.endswith(".md") else "text/html"
        poller.record_document(deprecations, settings, Document(
            source=deprecations.name, url=f"https://platform.openai.com/docs/deprecations/{name}", body=body,
            fetched_at=at, content_type=content_type))

    now = dt.datetime.combine(today, dt.time(6), dt.UTC)
    soon = (today + dt.timedelta(days=45)).isoformat()
    catalog, gateway = catalog_source("example-catalog"), catalog_source("example-gateway")
    catalog_settings = SourceSettings(name=catalog.name, delist_after=2)
    gateway_settings = SourceSettings(name=gateway.name, delist_after=2)
    gpt4o = {"id": "gpt-4o", "model": "gpt-4o", "status": "active", "input": "2.5", "output": "5"}
    sora = {"id": "sora-2", "model": "sora-2", "status": "active", "input": "0.1"}
    mini = {"id": "o1-mini", "model": "o1-mini", "status": "active", "input": "1.1"}
    for at, rows in (
        (dt.datetime(2026, 2, 20, tzinfo=dt.UTC), [gpt4o, sora, mini]),
        (dt.datetime(2026, 2, 27, tzinfo=dt.UTC), [gpt4o, sora, mini]),
        (dt.datetime(2026, 3, 5, tzinfo=dt.UTC), [{**gpt4o, "input": "2"}, sora, mini]),
        (now - dt.timedelta(days=2), [{**gpt4o, "input": "2"}, {**sora, "status": "deprecated", "shutdown": soon,
                                                                  "replacement": "---"}]),
        (now - dt.timedelta(days=1), [{**gpt4o, "input": "2"}, {**sora, "status": "deprecated", "shutdown": soon,
                                                                  "replacement": "---"}]),
    ):
        record(poller, catalog, catalog_settings, rows, at)
    record(poller, gateway, gateway_settings, [{**gpt4o, "input": "2.75"}, sora], dt.datetime(2026, 2, 25, tzinfo=dt.UTC))
    record(poller, gateway, gateway_settings, [{**gpt4o, "input": "2.5"}, sora], now - dt.timedelta(days=1))
    poller.record_failure(gateway, gateway_settings, error="HTTP 503", url="http://127.0.0.1/example-gateway",
                          http_status=503, at=now - dt.timedelta(hours=12))
