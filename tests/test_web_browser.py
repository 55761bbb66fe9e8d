"""The pages as a person sees them, in headless Chromium (Debian's package; `.ci/run`
installs it): follow upcoming shutdowns to a dossier, filter the changes, read the
sources, on a desktop and a phone, without JavaScript too. With WATCHER_SCREENSHOTS
set to a folder (bench/ does), each page is saved there as a PNG."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web_support import build_real_db, serving, write_config

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Chromium reaches for Google's hosts at start unless told not to; this machine's network is closed.
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("site")
    config = write_config(directory / "config.toml")
    url = f"sqlite:///{directory / 'watcher.db'}"
    build_real_db(config, url)
    with serving(url, config) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


def _shot(page: Any, name: str) -> None:
    folder = os.environ.get("WATCHER_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_from_upcoming_shutdowns_to_a_dossier(site: str, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{site}/")
    assert page.title() == "Upcoming shutdowns · Model Lifecycle Watcher"
    rows = page.locator("#upcoming tbody tr")
    assert rows.count() > 10
    first = rows.first
    assert "watched" in (first.get_attribute("class") or "")  # watched models first
    assert first.locator("td").nth(1).inner_text() == "88"  # days left from 2026-06-28 to 2026-09-24
    _shot(page, "upcoming")
    page.get_by_role("link", name="sora-2", exact=True).first.click()
    page.wait_for_url(f"{site}/models/sora-2")
    verdict = page.locator("#verdict").inner_text()
    assert "2026-09-24" in verdict and "88 days left" in verdict and "openai-deprecations" in verdict
    sources = page.locator("table.sources tbody tr td:first-child").all_inner_texts()
    assert "openai-deprecations" in sources and any(s.startswith("litellm") for s in sources)
    assert page.get_by_text("$0.10 / second of video").count() >= 1  # prices in human units
    assert page.locator("table.history tbody tr").count() >= 3
    _shot(page, "dossier-sora-2")
    page.close()


def test_filtering_recent_changes_without_javascript(site: str, browser: Any) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{site}/changes")
    everything = page.locator("#changes tbody tr").count()
    assert everything == 50 and page.get_by_role("link", name="Older →").count() == 1  # paginated
    page.select_option("select[name=kind]", "shutdown_date")
    page.fill("input[name=model]", "sora-2*")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/changes?**")
    rows = page.locator("#changes tbody tr")
    assert 0 < rows.count() < everything
    for text in rows.all_inner_texts():
        assert "sora-2" in text and "shutdown_on" in text
    assert page.locator("select[name=kind]").input_value() == "shutdown_date"  # the filter is kept
    _shot(page, "changes-filtered")
    page.get_by_role("link", name="Older →").count()  # no second page for a narrow filter
    context.close()


def test_sources_and_a_phone_sized_screen(site: str, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{site}/sources")
    rows = {r.split("\t")[0].strip(): r for r in page.locator("#sources tbody tr").all_inner_texts()}
    assert set(rows) >= {"openai-deprecations", "litellm", "openrouter", "models-dev", "openai-pricing"}
    assert "changed" in rows["litellm"] or "unchanged" in rows["litellm"] or "baseline" in rows["litellm"]
    _shot(page, "sources")
    page.close()
    phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone.goto(f"{site}/models/gpt-4o")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1  # wide tables scroll inside their box, the page does not
    assert phone.locator("h1").first.inner_text().startswith("gpt-4o")
    # Each source is a card: its prices are read in place, inside the screen, not off to the right.
    price = phone.locator("table.sources td[data-label=Prices] div").first
    box = price.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390 + 1, box
    assert "$" in price.inner_text()
    _shot(phone, "phone-dossier-gpt-4o")
    phone.close()
