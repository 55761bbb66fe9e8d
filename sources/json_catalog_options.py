"""`[sources.NAME]` options of a json-catalog source, checked once at configure time.

Every error is a `ValueError` whose message starts with the full key
(`sources.flatkey.prices.input.unit: …`), so an operator can find the line.
"""

from __future__ import annotations

import dataclasses
import string
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from watcher.model import PriceUnit, Status

TYPE: Final = "json-catalog"
ROW_KEY: Final = "@key"  # as `id`: the row's key in an object-of-rows document


class CatalogOptionError(ValueError):
    """A json-catalog option is missing, unknown or malformed; the message names it."""


@dataclasses.dataclass(frozen=True, slots=True)
class Unit:
    unit: PriceUnit
    scale: Decimal  # what the catalog's number is multiplied by to reach `unit`


UNITS: Final[Mapping[str, Unit]] = {
    "per_token": Unit(PriceUnit.PER_1M_TOKENS, Decimal(1_000_000)),
    "per_1k_tokens": Unit(PriceUnit.PER_1M_TOKENS, Decimal(1_000)),
    "per_1m_tokens": Unit(PriceUnit.PER_1M_TOKENS, Decimal(1)),
    "per_second": Unit(PriceUnit.PER_SECOND, Decimal(1)),
    "per_image": Unit(PriceUnit.PER_IMAGE, Decimal(1)),
    "per_request": Unit(PriceUnit.PER_REQUEST, Decimal(1)),
}


@dataclasses.dataclass(frozen=True, slots=True)
class Condition:
    path: str
    equals: tuple[Any, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class PriceSpec:
    component: str
    paths: tuple[str, ...]  # several: their product (new-api's ratio x completion ratio)
    unit: PriceUnit
    scale: Decimal
    tier: str = "standard"
    variant: str = ""
    when: Condition | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class StatusSpec:
    path: str
    mapping: Mapping[str, Status]  # their word, lower case -> ours


@dataclasses.dataclass(frozen=True, slots=True)
class CatalogSpec:
    name: str
    url: str
    items: str
    id: str
    provider: str | None = None
    provider_field: str | None = None
    distribution: str | None = None
    prices: tuple[PriceSpec, ...] = ()
    status: StatusSpec | None = None
    availability: str | None = None
    shutdown: str | None = None
    replacement: str | None = None
    url_template: str | None = None


_TOP: Final = frozenset(
    {
        "type", "url", "items", "id", "provider", "provider_field", "distribution", "prices",
        "status", "availability", "shutdown", "replacement", "url_template",
    }
)  # fmt: skip
# Read by the scheduler (watcher.config), not by the parser: accepted and ignored
# here, so a raw `[sources.NAME]` table can be passed as it is.
_SCHEDULING: Final = frozenset(
    {"enabled", "every", "cron", "jitter", "delist_after", "max_loss", "failures_before_alert", "stale_after"}
)
_PRICE: Final = frozenset({"path", "unit", "tier", "variant", "scale", "when"})


def read_options(name: str, options: Mapping[str, Any]) -> CatalogSpec:
    where = f"sources.{name}"
    _known(options, _TOP | _SCHEDULING, where)
    kind = options.get("type", TYPE)
    if kind != TYPE:
        raise CatalogOptionError(f"{where}.type: expected {TYPE!r}, got {kind!r}")
    url = _text(options, "url", where, required=True)
    assert url is not None
    if not url.startswith(("https://", "http://")):
        raise CatalogOptionError(f"{where}.url: expected an http(s) URL, got {url!r}")
    if "provider" in options and "provider_field" in options:
        raise CatalogOptionError(f"{where}.provider_field: give `provider` or `provider_field`, not both")
    items = _text(options, "items", where, default="", allow_empty=True)
    id_path = _text(options, "id", where, required=True)
    assert items is not None and id_path is not None
    return CatalogSpec(
        name=name,
        url=url,
        items=items,
        id=id_path,
        provider=_text(options, "provider", where),
        provider_field=_text(options, "provider_field", where),
        distribution=_text(options, "distribution", where, default=name, allow_empty=True) or None,
        prices=_prices(options.get("prices"), f"{where}.prices"),
        status=_status(options.get("status"), f"{where}.status"),
        availability=_text(options, "availability", where),
        shutdown=_text(options, "shutdown", where),
        replacement=_text(options, "replacement", where),
        url_template=_template(options, where),
    )


def _known(table: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    for key in table:
        if key not in allowed:
            known = ", ".join(sorted(allowed - _SCHEDULING))
            raise CatalogOptionError(f"{where}.{key}: unknown option (known: {known})")


def _text(
    table: Mapping[str, Any],
    key: str,
    where: str,
    *,
    required: bool = False,
    default: str | None = None,
    allow_empty: bool = False,
) -> str | None:
    if key not in table:
        if required:
            raise CatalogOptionError(f"{where}.{key}: required")
        return default
    value = table[key]
    if not isinstance(value, str):
        raise CatalogOptionError(f"{where}.{key}: expected a string, got {type(value).__name__}")
    if not value.strip() and not allow_empty:
        raise CatalogOptionError(f"{where}.{key}: must not be empty")
    return value.strip()


def _table(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise CatalogOptionError(f"{where}: expected a table, got {type(value).__name__}")
    return value


def _prices(value: Any, where: str) -> tuple[PriceSpec, ...]:
    if value is None:
        return ()
    specs: list[PriceSpec] = []
    for component, raw in _table(value, where).items():
        at = f"{where}.{component}"
        spec = _table(raw, at)
        _known(spec, _PRICE, at)
        path = spec.get("path")
        paths = (path,) if isinstance(path, str) else tuple(path) if isinstance(path, list) else ()
        if not paths or not all(isinstance(p, str) and p.strip() for p in paths):
            raise CatalogOptionError(f"{at}.path: required, a field path or a list of them")
        unit_name = spec.get("unit")
        if not isinstance(unit_name, str) or unit_name not in UNITS:
            choices = ", ".join(UNITS)
            raise CatalogOptionError(f"{at}.unit: expected one of {choices}, got {unit_name!r}")
        unit = UNITS[unit_name]
        specs.append(
            PriceSpec(
                component=component,
                paths=tuple(p.strip() for p in paths),
                unit=unit.unit,
                scale=unit.scale * _scale(spec.get("scale", 1), f"{at}.scale"),
                tier=_text(spec, "tier", at, default="standard") or "standard",
                variant=_text(spec, "variant", at, default="", allow_empty=True) or "",
                when=_condition(spec.get("when"), f"{at}.when"),
            )
        )
    return tuple(specs)


def _scale(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise CatalogOptionError(f"{where}: expected a number, got {value!r}")
    try:
        number = Decimal(repr(value) if isinstance(value, float) else str(value))
    except InvalidOperation:
        raise CatalogOptionError(f"{where}: expected a number, got {value!r}") from None
    if not number.is_finite() or number <= 0:
        raise CatalogOptionError(f"{where}: expected a positive number, got {value!r}")
    return number


def _condition(value: Any, where: str) -> Condition | None:
    if value is None:
        return None
    table = _table(value, where)
    _known(table, frozenset({"path", "equals"}), where)
    path = _text(table, "path", where, required=True)
    if "equals" not in table:
        raise CatalogOptionError(f"{where}.equals: required")
    equals = table["equals"]
    assert path is not None
    return Condition(path, tuple(equals) if isinstance(equals, list) else (equals,))


def _status(value: Any, where: str) -> StatusSpec | None:
    if value is None:
        return None
    table = _table(value, where)
    _known(table, frozenset({"path", "map"}), where)
    path = _text(table, "path", where, required=True)
    assert path is not None
    mapping: dict[str, Status] = {}
    for word, ours in _table(table.get("map", {}), f"{where}.map").items():
        try:
            mapping[str(word).strip().lower()] = Status(ours)
        except ValueError:
            choices = ", ".join(s.value for s in Status)
            raise CatalogOptionError(
                f"{where}.map.{word}: expected one of {choices}, got {ours!r}"
            ) from None
    return StatusSpec(path, mapping)


def _template(options: Mapping[str, Any], where: str) -> str | None:
    template = _text(options, "url_template", where)
    if template is None:
        return None
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
    except ValueError as exc:
        raise CatalogOptionError(f"{where}.url_template: {exc}") from None
    if not fields <= {"id"}:
        bad = ", ".join(sorted(fields - {"id"}))
        raise CatalogOptionError(f"{where}.url_template: only {{id}} can be filled in, not {bad}")
    return template
