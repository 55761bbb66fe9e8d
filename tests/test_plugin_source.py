"""A third-party source installed through the `watcher.sources` entry point works exactly
like a built-in one, options included. The package is docs/sources.md's own example,
built from that page and installed as a distribution (a dist-info on the path)."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from tests.support import Upstream, run_watcher

DOCS = Path(__file__).resolve().parent.parent / "docs" / "sources.md"
FEED = {"models": [
    {"id": "acme-1", "stage": "ga", "retires": "2027-01-01"},
    {"id": "acme-2-preview", "stage": "preview"},
]}


def _code(language: str, after: str) -> str:
    text = DOCS.read_text(encoding="utf-8")
    start = text.index(after)
    match = re.compile(rf"```{language}\n(.*?)```", re.DOTALL).search(text, start)
    assert match is not None, f"docs/sources.md: no {language} block after {after!r}"
    return match.group(1)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """The example package installed: its module and a dist-info with its entry points."""
    site = tmp_path / "site"
    site.mkdir()
    project = tomllib.loads(_code("toml", "`pyproject.toml`:"))["project"]
    (site / "watcher_acme.py").write_text(_code("python", "`watcher_acme.py`:"), encoding="utf-8")
    info = site / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n",
                                   encoding="utf-8")
    lines = []
    for group, entries in project["entry-points"].items():
        lines.append(f"[{group}]")
        lines += [f"{name} = {target}" for name, target in entries.items()]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return site


def _config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[storage]\nurl = "sqlite:///{tmp_path / "w.db"}"\n\n{body}', encoding="utf-8")
    return path


def test_the_documented_plugin_is_configured_with_its_option_and_polled(tmp_path: Path, site: Path,
                                                                       upstream: Upstream) -> None:
    upstream.set("/lifecycle.json", json.dumps(FEED))
    env = {"PYTHONPATH": str(site)}
    described = run_watcher(["describe", "acme-models", "--format", "json"], env=env)
    assert described.returncode == 0, described.stderr
    (row,) = json.loads(described.stdout)
    assert (row["first_party"], row["options"][0]["name"], row["options"][0]["default"]) == ("acme", "include_preview",
                                                                                            False)

    config = _config(tmp_path, f'[sources.acme-models]\nurl = "{upstream.url("/lifecycle.json")}"\n'
                               'include_preview = true\n')
    polled = run_watcher(["--config", str(config), "poll", "acme-models"], env=env)
    assert polled.returncode == 0, polled.stderr
    shown = run_watcher(["--config", str(config), "show", "acme-2-preview", "--format", "json"], env=env)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)[0]["sources"][0]["status"] == "preview"
    # Its declared first-party word is the provider's date, as for a built-in page.
    table = run_watcher(["--config", str(config), "show", "acme-1", "--format", "table"], env=env)
    assert "acme/acme-1: shutdown 2027-01-01 (acme-models)" in table.stdout

    default = _config(tmp_path, f'[sources.acme-models]\nurl = "{upstream.url("/lifecycle.json")}"\n')
    checked = run_watcher(["--config", str(default), "check", "acme-models", "--format", "json"], env=env)
    assert checked.returncode == 0, checked.stderr
    assert [r["key"] for r in json.loads(checked.stdout)] == ["acme-1"]  # the option's default: no previews


def test_a_misspelt_plugin_option_is_a_one_line_error(tmp_path: Path, site: Path) -> None:
    config = _config(tmp_path, '[sources.acme-models]\ninclude_previews = true\n')
    done = run_watcher(["--config", str(config), "sources"], env={"PYTHONPATH": str(site)})
    assert done.returncode != 0
    assert "sources.acme-models.include_previews: unknown key" in done.stderr
    assert "include_preview" in done.stderr and "Traceback" not in done.stderr
    wrong_type = _config(tmp_path, '[sources.acme-models]\ninclude_preview = "yes"\n')
    done = run_watcher(["--config", str(wrong_type), "sources"], env={"PYTHONPATH": str(site)})
    assert "sources.acme-models.include_preview: expected bool, got str" in done.stderr


def test_without_the_package_the_name_is_unknown(tmp_path: Path) -> None:
    config = _config(tmp_path, '[sources.acme-models]\ninclude_preview = true\n')
    done = run_watcher(["--config", str(config), "check", "acme-models", "--file", str(config)])
    assert done.returncode != 0 and "Traceback" not in done.stderr
