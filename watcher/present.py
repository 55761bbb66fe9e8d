"""Observations as plain rows for listings (`watcher check`, `watcher show`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from watcher.model import COMPARED, ChangeKind, Compared, Observation, PriceKey, PriceUnit, format_milestones
from watcher.money import format_price

# Words that end the unit in a catalog's own price name (`…_cost_per_1k_calls`).
_UNIT_NOUNS: Final = frozenset({
    "token", "second", "minute", "hour", "day", "image", "character", "pixel", "page", "query", "request",
    "session", "credit", "call", "unit", "message",
})


def _stated(key: object) -> PriceKey | None:
    """The key of a price kept as its source states it, else None."""
    try:
        parsed = key if isinstance(key, PriceKey) else PriceKey.parse(str(key))
    except ValueError:
        return None
    return parsed if parsed.unit is PriceUnit.AS_STATED else None


def stated_unit(name: str) -> str:
    """The unit a catalog's price name states: `…_cost_per_query` → `query`,
    `…_cost_per_gb_per_day` → `gb per day`, `cache_read_input_image_token_cost` → `token`;
    "" when the name states none (models.dev's `cost.…` entries)."""
    if "cost_per_" in name:
        words = name.split("cost_per_", 1)[1].split("_")
    else:
        words = name.rsplit("cost", 1)[0].strip("_").split("_")[-1:]
    for i, word in enumerate(words):
        if word.removesuffix("s") in _UNIT_NOUNS:
            end = i + 1
            while end + 1 < len(words) and words[end] == "per":  # gb_per_day
                end += 2
            return " ".join(words[:end])
    return words[0] if words and words[0] != name else ""


def stated_amount(key: PriceKey, value: str) -> str:
    """`$0.005 / query`: a price kept as stated, with the unit its name gives."""
    words = set(key.component.split("_"))
    amount = f"{value} DBU" if words & {"dbu", "db"} else f"${value}"
    unit = stated_unit(key.component)
    return f"{amount} / {unit}" if unit else amount


def stated_name(key: PriceKey) -> str:
    return f"{key.component} {key.variant}" if key.variant else key.component


def price_text(key: object, value: str) -> str:
    """One price as listings show it: `input/per_1m_tokens/standard 2.5`, or for a price
    kept as stated, `$0.005 / query (google_maps_grounding_cost_per_query)`."""
    if (stated := _stated(key)) is None:
        return f"{key} {value}"
    return f"{stated_amount(stated, value)} ({stated_name(stated)})"


def price_change_text(field: str, old: str | None, new: str | None, none: str) -> str:
    """A price change as alerts say it: `field: old → new`, amounts with their unit when kept as stated."""
    if (stated := _stated(field)) is None:
        return f"{field}: {old or none} → {new or none}"

    def amount(value: str | None) -> str:
        return stated_amount(stated, value) if value is not None else none

    return f"{stated_name(stated)}: {amount(old)} → {amount(new)}"


def join_prices(prices: Iterable[tuple[object, str]], separator: str = "; ") -> str:
    """`price key value` pairs as one line (or one per line with separator="\n"): the
    single spelling of prices in listings, `watcher check` and `watcher show` alike."""
    return separator.join(price_text(key, value) for key, value in prices)


def prices_text(obs: Observation) -> str | None:
    if not obs.prices:
        return None
    return join_prices((key, format_price(value)) for key, value in sorted(obs.prices.items()))


# The two compared facts a listing shows whole where a change's old/new shows one part:
# milestones one per line (a change joins them with "; " to keep its line), and prices all
# together (a change states one `PriceKey` at a time, so COMPARED gives them no text form).
_WHOLE_TEXT: Final[Mapping[ChangeKind, Callable[[Observation], str | None]]] = {
    ChangeKind.MILESTONES: lambda obs: format_milestones(obs.milestones),
    ChangeKind.PRICE: prices_text,
}


def _listing_text(compared: Compared) -> Callable[[Observation], str | None]:
    text = _WHOLE_TEXT.get(compared.kind, compared.text)
    if text is None:  # a new compared fact without a text form must say here how a listing shows it
        raise TypeError(f"watcher.present: no listing text for the compared fact {compared.field!r}")
    return text


_LISTING_TEXT: Final = {c.field: _listing_text(c) for c in COMPARED}

# The compared facts every listing of stored rows prints as its columns (`history`, `asof`,
# `show` and its JSON), in one order so the listings read alike; `watcher check`, the view to
# debug a source's parse with, prints these and the rest (`CHECK_ONLY_FACTS`).
LISTED_FACTS: Final = ("status", "shutdown_on", "replacement", "prices", "availability", "milestones")
CHECK_ONLY_FACTS: Final = frozenset({"aliases", "announced_on"})
# `watcher check`'s fields in the order it has always printed them (scripts read its JSON):
# the row's own fields around its compared facts. A compared fact not placed here prints last.
_CHECK_ORDER: Final = ("key", "provider", "model", "source_id", "distribution", "aliases", "is_model", "status",
                       "announced_on", "shutdown_on", "replacement", "prices", "availability", "milestones",
                       "section", "url")


def fact_texts(obs: Observation) -> dict[str, str | None]:
    """Each compared fact of a row as listings spell it, by its field, in COMPARED's order."""
    return {field: text(obs) for field, text in _LISTING_TEXT.items()}


def observation_dict(obs: Observation) -> dict[str, Any]:
    row: dict[str, Any] = {
        "key": obs.key,
        "provider": obs.provider,
        "model": obs.model,
        "source_id": obs.source_id,
        "distribution": obs.distribution,
        "is_model": obs.is_model,
        "section": obs.section,
        "url": obs.url,
        **fact_texts(obs),
    }
    return {name: row.pop(name) for name in _CHECK_ORDER} | row
