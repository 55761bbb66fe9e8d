"""Which files an audit reads: the paths given, less what git would ignore and
what is not the team's own code.

Ignored as git does: every `.gitignore` from the repository's top down to each
directory, and `.git/info/exclude`, evaluated by pathspec (git's own wildmatch
rules, negations and directory-only patterns included: not something to
re-implement). A directory git ignores is not entered, as git does not look
inside it either. Never entered: version-control metadata, virtualenvs (any
directory holding `pyvenv.cfg`, whatever its name), vendored dependencies and
tool caches. Symbolic links are not followed. A path named explicitly is read
even when it would be ignored, as `git add -f` would.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final

import pathspec

# Directories that are never the team's own code, whatever .gitignore says.
SKIPPED_DIRS: Final = frozenset({
    ".git", ".hg", ".svn", ".bzr",
    "node_modules", "bower_components", "jspm_packages", "vendor", "third_party", "site-packages",
    ".venv", "venv", ".tox", ".nox", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache",
    ".gradle", ".terraform", ".eggs",
})
VIRTUALENV_MARKER: Final = "pyvenv.cfg"
# Suffixes that are binary for certain: skipped without opening the file.
BINARY_SUFFIXES: Final = frozenset({
    ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".ico", ".webp", ".tiff", ".psd", ".mp3", ".mp4", ".mov", ".avi",
    ".webm", ".wav", ".flac", ".ogg", ".pdf", ".zip", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".7z", ".rar",
    ".jar", ".war", ".whl", ".egg", ".so", ".dll", ".dylib", ".exe", ".o", ".a", ".lib", ".class", ".pyc",
    ".pyo", ".woff", ".woff2", ".ttf", ".otf", ".eot", ".db", ".sqlite", ".sqlite3", ".parquet", ".bin",
    ".onnx", ".pt", ".safetensors", ".npy", ".npz", ".pkl",
})


@dataclasses.dataclass(frozen=True, slots=True)
class Candidate:
    path: str  # as the file system takes it
    display: str  # posix, relative to the base directory when under it: what findings show


@dataclasses.dataclass(frozen=True, slots=True)
class _Level:
    """The ignore rules of one directory, for paths relative to it."""

    prefix: str  # the directory, relative to the walk's top, with a trailing "/" ("" for the top)
    spec: pathspec.GitIgnoreSpec


def discover(roots: Sequence[Path], base: Path, exclude: Sequence[str] = ()) -> Iterator[Candidate]:
    """Every file to read under `roots`, each once, in a stable order.

    `exclude`: extra gitignore-style patterns, relative to `base`, that always win.
    """
    base = base.resolve()
    extra = pathspec.GitIgnoreSpec.from_lines(exclude) if exclude else None
    seen: set[str] = set()
    for root in roots:
        for candidate in _walk_root(root, base, extra):
            if candidate.path not in seen:
                seen.add(candidate.path)
                yield candidate


def _walk_root(root: Path, base: Path, extra: pathspec.GitIgnoreSpec | None) -> Iterator[Candidate]:
    resolved = root.resolve()
    if not resolved.is_dir():
        if not resolved.exists():
            raise FileNotFoundError(2, "no such file or directory", str(root))
        yield Candidate(str(resolved), _display(resolved, base))  # named explicitly: read it
        return
    # The .gitignore files above a scanned subdirectory count, from the repository's
    # top (or, outside a repository, from the directory the audit runs in).
    top = _repository_top(resolved) or (base if resolved.is_relative_to(base) else resolved)
    levels = _ancestor_levels(top, resolved)
    yield from _walk(resolved, top, base, levels, extra)


def _walk(directory: Path, top: Path, base: Path, levels: list[_Level],
          extra: pathspec.GitIgnoreSpec | None) -> Iterator[Candidate]:
    # Iterative depth-first walk; each stack entry carries the ignore levels in force there.
    stack: list[tuple[str, list[_Level]]] = [(str(directory), levels)]
    top_text = str(top)
    base_text = str(base)
    while stack:
        current, inherited = stack.pop()
        try:
            with os.scandir(current) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue  # unreadable: nothing we can report on
        names = {e.name for e in entries}
        here = _relative(current, top_text)
        active = inherited
        if ".gitignore" in names:
            spec = _read_spec(os.path.join(current, ".gitignore"))
            if spec is not None:
                active = [*inherited, _Level(here + "/" if here else "", spec)]
        subdirs: list[tuple[str, list[_Level]]] = []
        for entry in entries:
            if entry.is_symlink():
                continue
            relative = f"{here}/{entry.name}" if here else entry.name
            if entry.is_dir():
                if entry.name in SKIPPED_DIRS or _ignored(relative + "/", active) \
                        or _excluded(entry.path, base_text, extra, directory=True) \
                        or os.path.exists(os.path.join(entry.path, VIRTUALENV_MARKER)):
                    continue
                subdirs.append((entry.path, active))
            elif entry.is_file():
                if os.path.splitext(entry.name)[1].lower() in BINARY_SUFFIXES:
                    continue
                if _ignored(relative, active) or _excluded(entry.path, base_text, extra, directory=False):
                    continue
                yield Candidate(entry.path, _display_text(entry.path, base_text))
        stack.extend(reversed(subdirs))


def _ignored(relative: str, levels: list[_Level]) -> bool:
    """Git's rule: the deepest .gitignore with a matching pattern decides; within one, the last pattern."""
    for level in reversed(levels):
        if level.prefix and not relative.startswith(level.prefix):
            continue
        result = level.spec.check_file(relative[len(level.prefix):]).include
        if result is not None:
            return bool(result)
    return False


def _excluded(path: str, base: str, extra: pathspec.GitIgnoreSpec | None, *, directory: bool) -> bool:
    if extra is None or not path.startswith(base + os.sep):
        return False
    relative = path[len(base) + 1:].replace(os.sep, "/")
    return bool(extra.match_file(relative + "/" if directory else relative))


def _read_spec(path: str) -> pathspec.GitIgnoreSpec | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return pathspec.GitIgnoreSpec.from_lines(handle.read().splitlines())
    except OSError:
        return None


def _repository_top(directory: Path) -> Path | None:
    for candidate in (directory, *directory.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def _ancestor_levels(top: Path, directory: Path) -> list[_Level]:
    """The ignore rules above the scanned directory: .git/info/exclude, then each .gitignore from the top down."""
    levels: list[_Level] = []
    exclude = _read_spec(str(top / ".git" / "info" / "exclude")) if (top / ".git").is_dir() else None
    if exclude is not None:
        levels.append(_Level("", exclude))
    chain = [directory, *directory.parents]
    ancestors = list(reversed(chain[1:chain.index(top) + 1])) if top != directory else []
    for ancestor in ancestors:
        spec = _read_spec(str(ancestor / ".gitignore"))
        if spec is not None:
            here = _relative(str(ancestor), str(top))
            levels.append(_Level(here + "/" if here else "", spec))
    return levels


def _relative(path: str, top: str) -> str:
    if path == top:
        return ""
    return path[len(top) + 1:].replace(os.sep, "/")


def _display_text(path: str, base: str) -> str:
    if path.startswith(base + os.sep):
        return path[len(base) + 1:].replace(os.sep, "/")
    return Path(path).as_posix()


def _display(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()
