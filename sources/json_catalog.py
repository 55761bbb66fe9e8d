"""A gateway's JSON catalog, watched through field paths in config.toml (no code).

`configure(name, options)` checks the options (see docs/json-catalog.md) and
returns a Source whose parse reads one row per model. Rows are keyed by the id
as the catalog spells it; provider and model come from identity resolution, and
the gateway is the row's distribution unless configured otherwise, so its
listing is never mistaken for the maker's own statement.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any, Final
from urllib.parse import quote

from sources.base import Option, Source
from sources.json_catalog_options import (
    ROW_KEY,
    CatalogSpec,
    PriceSpec,
    read_options,
)
from watcher.identity import resolve
from watcher.model import (
    NO_REPLACEMENT,
    Document,
    Observation,
    ParseError,
    PriceKey,
    Status,
)
from watcher.money import normalise, to_decimal

PARSER_VERSION: Final = "1"
_ISO_DATE: Final = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])")
_TEXT_DATE_FORMATS: Final = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%Y/%m/%d")
_CHALLENGE_MARKERS: Final = ("just a moment", "challenge-platform", "cf_chl_", "cloudflare")


@dataclasses.dataclass(frozen=True, slots=True)
class JsonCatalogSource:
    spec: CatalogSpec
    # A gateway's listing is never the maker's own word; its options are read by
    # `read_options` (docs/json-catalog.md), not declared one by one.
    first_party: None = None
    account_view: bool = False
    partial_renderings: bool = False
    options: tuple[Option, ...] = ()

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def parser_version(self) -> str:
        """The parser's version and a digest of the options it reads (not the URL).

        Editing field paths or units in config.toml changes what the same bytes
        mean: the next poll re-reads the body instead of diffing the next body
        against history read with the old options (every price x1e6 at once).
        """
        options = repr(dataclasses.replace(self.spec, url=""))
        return f"{PARSER_VERSION}+{hashlib.sha256(options.encode()).hexdigest()[:8]}"

    @property
    def urls(self) -> tuple[str, ...]:
        return (self.spec.url,)

    def headers(self) -> Mapping[str, str]:
        return {}

    def next_page(self, doc: Document) -> str | None:
        return None

    def parse(self, doc: Document) -> list[Observation]:
        return parse_catalog(self.spec, doc)


def configure(name: str, options: Mapping[str, Any]) -> Source:
    """The source for `[sources.NAME]`; ValueError naming `sources.NAME.KEY` when options are wrong."""
    return JsonCatalogSource(read_options(name, options))


def parse_catalog(spec: CatalogSpec, doc: Document) -> list[Observation]:
    rows = list(_rows(spec, _load(doc)))
    if not rows:
        raise ParseError(f"no rows at items path {spec.items!r}")
    observations: dict[str, Observation] = {}
    for row_key, row in rows:
        raw_id = row_key if spec.id == ROW_KEY else field(row, spec.id)
        if not isinstance(raw_id, str | int) or isinstance(raw_id, bool) or not str(raw_id).strip():
            continue
        source_id = str(raw_id).strip()
        # A catalog listing one id twice is broken; the first row is what a
        # client looking the id up would usually get, and keys must be unique.
        observations.setdefault(source_id, _observation(spec, source_id, row))
    if not observations:
        raise ParseError(f"{len(rows)} rows, none with an id at {spec.id!r}")
    return [observations[key] for key in sorted(observations)]


def field(row: Any, path: str) -> Any:
    """The value at a dotted path (`pricing.prompt`, `tiers.0.price`); None when absent."""
    value = row
    for part in path.split(".") if path else ():
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, list) and part.lstrip("-").isdigit() and -len(value) <= int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _load(doc: Document) -> Any:
    if doc.http_status >= 400:
        raise ParseError(f"HTTP {doc.http_status}: an error response, not the catalog")
    text = doc.text.strip()
    if not text:
        raise ParseError("empty document")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        if any(marker in text[:5000].lower() for marker in _CHALLENGE_MARKERS):
            raise ParseError("bot challenge page (Cloudflare), not the catalog") from None
        raise ParseError(f"not JSON ({exc.msg} at char {exc.pos}): {text[:60]!r}") from None


def _rows(spec: CatalogSpec, document: Any) -> Iterator[tuple[str | None, Mapping[str, Any]]]:
    items = field(document, spec.items)
    if isinstance(items, list):
        yield from ((None, row) for row in items if isinstance(row, Mapping))
    elif isinstance(items, Mapping):
        yield from ((str(k), row) for k, row in items.items() if isinstance(row, Mapping))
    else:
        found = "nothing" if items is None else f"a {type(items).__name__}"
        raise ParseError(f"items path {spec.items!r} holds {found}, not a list or object of rows")


def _observation(spec: CatalogSpec, source_id: str, row: Mapping[str, Any]) -> Observation:
    hint = spec.provider
    if spec.provider_field:
        found = field(row, spec.provider_field)
        hint = str(found).strip() if isinstance(found, str | int) and str(found).strip() else None
    # With no provider given, the gateway's name is the route: known makers are
    # recognised by their ids, anything else is the gateway's own model.
    identity = resolve(source_id, hint or spec.distribution)
    distribution = identity.distribution
    if distribution is None and spec.distribution and identity.provider != spec.distribution:
        distribution = spec.distribution
    return Observation(
        key=source_id,
        provider=identity.provider,
        model=identity.model,
        source_id=source_id if source_id != identity.model else None,
        distribution=distribution,
        status=_status(spec, row),
        shutdown_on=_date(field(row, spec.shutdown)) if spec.shutdown else None,
        replacement=_replacement(field(row, spec.replacement)) if spec.replacement else None,
        prices=_prices(spec.prices, row),
        availability=_word(field(row, spec.availability)) if spec.availability else None,
        url=spec.url_template.format(id=quote(source_id, safe="/:@")) if spec.url_template else None,
    )


def _prices(specs: tuple[PriceSpec, ...], row: Mapping[str, Any]) -> dict[PriceKey, Decimal]:
    prices: dict[PriceKey, Decimal] = {}
    for spec in specs:
        if spec.when and not _matches(field(row, spec.when.path), spec.when.equals):
            continue
        product: Decimal | None = Decimal(1)
        for path in spec.paths:
            number = to_decimal(field(row, path))
            product = None if number is None or product is None else product * number
        # Negative prices are sentinels (OpenRouter's "-1": no price), never prices.
        if product is None or product < 0:
            continue
        prices[PriceKey(spec.component, spec.unit, spec.tier, spec.variant)] = normalise(
            product * spec.scale
        )
    return dict(sorted(prices.items()))


def _matches(value: Any, accepted: tuple[Any, ...]) -> bool:
    return any(value == want or str(value) == str(want) for want in accepted)


def _status(spec: CatalogSpec, row: Mapping[str, Any]) -> Status | None:
    if spec.status is None:
        return None
    word = _word(field(row, spec.status.path))
    if word is None:
        return None
    if word.lower() in spec.status.mapping:
        return spec.status.mapping[word.lower()]
    try:
        return Status(word.lower())
    except ValueError:
        return None  # a word nobody mapped: unknown, not a guess


def _word(value: Any) -> str | None:
    """An opaque word kept verbatim (`unknown_failure`); JSON booleans as JSON spells them."""
    if value is None or isinstance(value, Mapping | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value).strip()
    return text or None


def _date(value: Any) -> dt.date | None:
    """ISO dates and datetimes, `July 23, 2026`, or Unix seconds/milliseconds (UTC)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if abs(value) > 1e11 else value
        try:
            return dt.datetime.fromtimestamp(seconds, dt.UTC).date()
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    text = value.strip().replace("\u2011", "-")
    iso = _ISO_DATE.match(text)
    try:
        if iso:
            return dt.date(int(iso[1]), int(iso[2]), int(iso[3]))
        for fmt in _TEXT_DATE_FORMATS:
            try:
                return dt.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
    except ValueError:
        return None
    return None


def _replacement(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, list):
        ids = tuple(str(v).strip() for v in value if isinstance(v, str | int) and str(v).strip())
        return ids or None
    word = _word(value)
    if word is None:
        return None
    return NO_REPLACEMENT if word == "---" else (word,)
