"""bench.analyst_year's synthetic year (also bench.web_pages'): its rows must be what the
writer stores, or the benches measure something else. Prices especially: since migration
0011 a version names a `price_set`; a year that wrote a `prices` value per version (a
column no longer there, silently dropped by the insert) left every price view empty."""

from __future__ import annotations

import datetime as dt
import json
import random

from sqlalchemy import select

from bench.analyst_year import INPUT, OFFICIAL, OUTPUT, PRICES, SOURCES, Year, write
from watcher.store.codec import price_digest, prices_from_text, prices_to_text
from watcher.store.engine import make_engine
from watcher.store.migrate import ensure_schema
from watcher.store.queries_versions import history
from watcher.store.relations import OBSERVATION_VERSION, PRICE_HISTORY, PRICE_SET


def small_year(seed: int = 1) -> Year:
    year = Year(models=40, start=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), rng=random.Random(seed), hours=24 * 20,
                documents_from=0)
    year.run()
    return year


def test_the_year_stores_prices_as_the_writer_does(db_url: str) -> None:
    year = small_year()
    engine = make_engine(db_url)
    ensure_schema(engine)
    with engine.begin() as connection:
        write(connection, year)
    with engine.connect() as connection:
        sets = connection.execute(select(PRICE_SET.c.id, PRICE_SET.c.digest, PRICE_SET.c.prices)
                                  .order_by(PRICE_SET.c.id)).all()
        versions = connection.execute(select(OBSERVATION_VERSION.c.source, OBSERVATION_VERSION.c.price_set)
                                      .order_by(OBSERVATION_VERSION.c.id)).all()
        price_rows = connection.execute(select(PRICE_HISTORY.c.source, PRICE_HISTORY.c.key,
                                               PRICE_HISTORY.c.price_key)).all()
        priced = connection.execute(select(OBSERVATION_VERSION.c.source, OBSERVATION_VERSION.c.key)
                                    .where(OBSERVATION_VERSION.c.price_set.is_not(None))).all()
        model = year.names[3]
        dossier = history(connection, model)
    engine.dispose()

    # Each distinct set once, numbered in the order versions first name it, found by the
    # writer's digest, its text the writer's.
    assert [row.id for row in sets] == list(range(1, len(sets) + 1))
    assert len({row.prices for row in sets}) == len(sets) > 1
    for row in sets:
        assert row.digest == price_digest(row.prices)
        assert row.prices == prices_to_text(prices_from_text(row.prices))
    first_named = list(dict.fromkeys(v.price_set for v in versions if v.price_set is not None))
    assert first_named == [row.id for row in sets]
    # The gateways state prices, the vendor's page none.
    assert all((v.price_set is None) == (v.source == SOURCES[OFFICIAL]) for v in versions)
    assert len(priced) == sum(v.source != SOURCES[OFFICIAL] for v in versions)
    # The price view has every priced row's two prices (in periods: a version repricing
    # only the input continues the output's period), so its benches measure something.
    assert {(row.source, row.key) for row in priced} == {(row.source, row.key) for row in price_rows}
    assert {row.price_key for row in price_rows} == {str(INPUT), str(OUTPUT)}
    assert len(priced) < len(price_rows) < 2 * len(priced)
    # Read back through the real reader, each version has the two prices the year stated for it.
    gateway = [v["prices"] for v in dossier if v["source"] != SOURCES[OFFICIAL]]
    assert gateway == stated(year, model)
    assert all(set(prices) == {str(INPUT), str(OUTPUT)} and set(prices.values()) <= set(PRICES) for prices in gateway)


def stated(year: Year, model: str) -> list[dict[str, str]]:
    """The prices the year wrote for `model`'s versions, ordered as history() lists them."""
    ordered = sorted(zip(year.versions, year.prices, strict=True),
                     key=lambda pair: (pair[0]["source"], pair[0]["valid_from"]))
    return [json.loads(prices) for version, prices in ordered if version["model"] == model and prices is not None]


def test_the_year_is_the_same_for_the_same_seed() -> None:
    first, second = small_year(seed=5), small_year(seed=5)
    assert first.prices == second.prices
    assert first.versions == second.versions
    assert first.changes == second.changes
