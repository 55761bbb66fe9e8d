"""Scanning a tree: the files `files.discover` picks, read and handed to a `Scanner`."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from watcher.audit.files import discover
from watcher.audit.scan import Hit, Scanner, is_binary

# Larger files are generated (bundles, dumps, lock files), not where a team picks a model.
MAX_FILE_BYTES: Final = 5_000_000


@dataclasses.dataclass(frozen=True, slots=True)
class TreeScan:
    hits: list[tuple[str, Hit]]  # (display path, hit)
    files: int  # text files read
    skipped: int  # binary, too large or unreadable


def scan_tree(roots: Sequence[Path], scanner: Scanner, *, base: Path, exclude: Sequence[str] = ()) -> TreeScan:
    hits: list[tuple[str, Hit]] = []
    files = skipped = 0
    for candidate in discover(roots, base, exclude):
        try:
            with open(candidate.path, "rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
        except OSError:
            skipped += 1
            continue
        if len(data) > MAX_FILE_BYTES or is_binary(data):
            skipped += 1
            continue
        files += 1
        hits.extend((candidate.display, hit) for hit in scanner.scan(data))
    return TreeScan(hits, files, skipped)
