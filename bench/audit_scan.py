"""Issue 16 figure: `watcher audit` on a generated tree of 20,000 files (target < 5 s).

The database holds the real captures (OpenAI's deprecations page, the full
LiteLLM catalog, OpenRouter): thousands of known ids. The tree is a mix of
Python, TypeScript, YAML, Markdown and .env files of 0.5-8 KB (about 60 MB in
all), one in fifty naming a doomed model or a Videos API call, plus folders the
audit must skip (node_modules, a virtualenv, a .gitignore'd build output) that
are not counted in the 20,000. Figures: the scan alone (in process, best of 3,
wall and CPU time) and the whole command as a CI step runs it (a new process: start-up, database
read, scan, SARIF written).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import REPO, capture, report
from sources.registry import builtin, reference_sources
from watcher.audit.lifecycle import build_index
from watcher.audit.scan import Scanner
from watcher.audit.tree import scan_tree
from watcher.config import SourceSettings
from watcher.model import Document
from watcher.poll.pipeline import Poller
from watcher.store.audit import current_rows
from watcher.store.engine import make_engine
from watcher.store.migrate import ensure_schema

FILES = 20_000
TODAY = dt.date(2026, 8, 25)
CAPTURES = (
    ("openai-deprecations", "openai/deprecations-2026-06-27.md", "openai_deprecations/deprecations-2026-06-27.md",
     "text/markdown"),
    ("litellm", "litellm/model_prices-1.98.0.json", "litellm/model_prices-1.98.0.json", "application/json"),
    ("openrouter", "openrouter/models-2026-08-19.json", "openrouter/models-2026-08-19.json", "application/json"),
)
VIDEOS = ["/videos", "openai.videos", "videos.create", "videos.createAndPoll", "video.completed", "video.failed"]
WORDS = ("client", "request", "response", "model", "config", "handler", "value", "result", "session", "token",
         "payload", "user", "items", "index", "cache", "retry", "timeout", "logger", "params", "output")
DOOMED = ("sora-2", "sora-2-pro", "gpt-4-32k", "sora-2-2025-10-06", "gpt-4")
SAFE = ("gpt-4o-mini", "sora-2-proxy", "my_sora-2", "text-embedding-3-small")


def populate(path: Path) -> str:
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    ensure_schema(engine)
    poller = Poller(engine=engine)
    for hour, (name, real, fixture, content_type) in enumerate(CAPTURES):
        source = builtin(name)
        poller.record_document(source, SourceSettings(name=name), Document(
            name, source.urls[0], capture(real, fixture).read_bytes(),
            dt.datetime(2026, 8, 24, hour, tzinfo=dt.UTC), content_type=content_type))
    engine.dispose()
    return url


def _line(rng: random.Random, doomed: bool) -> str:
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 9)))
    if doomed:
        return f'{rng.choice(WORDS)} = "{rng.choice(DOOMED)}"  # {words}'
    if rng.random() < 0.05:
        return f'{rng.choice(WORDS)} = "{rng.choice(SAFE)}"'
    return f"{rng.choice(WORDS)}_{rng.randint(0, 999)} = {words.replace(' ', '.')}({rng.randint(0, 99)})"


def generate(root: Path, files: int = FILES, seed: int = 16) -> int:
    """A tree of `files` scanned files (plus skipped ones); returns its size in bytes."""
    rng = random.Random(seed)
    suffixes = (".py", ".ts", ".yaml", ".md", ".env", ".json", ".go")
    size = 0
    for number in range(files):
        folder = root / f"pkg{number % 40}" / f"mod{number % 13}"
        folder.mkdir(parents=True, exist_ok=True)
        lines = [_line(rng, False) for _ in range(rng.randint(8, 100))]
        if number % 50 == 0:
            lines[rng.randrange(len(lines))] = _line(rng, True)
        if number % 400 == 0:
            lines.append("job = client.videos.createAndPoll(model=MODEL)")
        text = "\n".join(lines) + "\n"
        (folder / f"file{number}{suffixes[number % len(suffixes)]}").write_text(text, encoding="utf-8")
        size += len(text)
    (root / ".gitignore").write_text("build/\n", encoding="utf-8")
    for skipped in ("node_modules/openai", "build/out", ".venv/lib"):
        folder = root / skipped
        folder.mkdir(parents=True)
        for number in range(500):
            (folder / f"f{number}.js").write_text('const m = "sora-2";\n' * 20, encoding="utf-8")
    (root / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    return size


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as folder:
        base = Path(folder)
        url = populate(base / "watcher.db")
        engine = make_engine(url)
        with engine.connect() as connection:
            rows = current_rows(connection)
        engine.dispose()
        index = build_index(rows, TODAY, official_sources=reference_sources(), products=["Videos API"])
        known_ids = len({r.obs.model for r in rows} | {r.obs.source_id for r in rows if r.obs.source_id})
        scanner = Scanner(index.models, {"Videos API": VIDEOS})
        tree = base / "tree"
        size = generate(tree)

        samples, cpu = [], []
        for _ in range(3):
            start, start_cpu = time.perf_counter(), time.process_time()
            scanned = scan_tree([tree], scanner, base=tree)
            samples.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        assert scanned.files == FILES + 1, scanned.files  # + .gitignore; the skipped folders stayed skipped

        config = base / "config.toml"
        config.write_text('[audit.patterns]\n"Videos API" = ' + repr(VIDEOS).replace("'", '"') + "\n",
                          encoding="utf-8")
        start, children = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
        result = subprocess.run(
            [sys.executable, "-m", "watcher", "--config", str(config), "--db", url, "audit", "--today",
             TODAY.isoformat(), "--format", "sarif", "--output", str(base / "audit.sarif")],
            check=False, cwd=tree, capture_output=True, text=True)
        command = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        command_cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
        if result.returncode not in (0, 1):
            sys.exit(f"audit failed: {result.stderr.strip()}")
        report("audit_scan", {
            "files": scanned.files, "megabytes": round(size / 1e6, 1), "known_ids": known_ids,
            "doomed_ids": len(index.models), "findings": len(scanned.hits),
            "scan_best_s": round(min(samples), 2), "scan_worst_s": round(max(samples), 2),
            "scan_cpu_s": round(min(cpu), 2), "command_s": round(command, 2),
            "command_cpu_s": round(command_cpu, 2),
            # Wall times on a shared 2-core machine depend on who else is busy: say how busy.
            "load_average": round(os.getloadavg()[0], 1),
        }, target="< 5 s for 20,000 files")


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
