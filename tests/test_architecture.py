"""The layer rules of docs/architecture.md ("Layers and what each may import"), read
from the repository's own files with `ast`: every import statement, at module level
or inside a function (the lazy ones count too)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# What a source may use of the engine: the model vocabulary and its helpers.
SOURCE_MAY_IMPORT = frozenset({"watcher.model", "watcher.money", "watcher.identity", "watcher.secrets"})
# The logic above the store: the store is handed what it needs, it never calls up.
STORE_MUST_NOT_IMPORT = frozenset({"diff", "disagreements", "disagreement_check", "identity"})
# Opening a session or a transaction is the domain's and the store's business.
SESSION_NAMES = frozenset({"Session", "sessionmaker", "read_session", "write_session"})


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def python_files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py") if "fixtures" not in p.parts)


def imports(path: Path) -> Iterator[tuple[int, str, tuple[str, ...]]]:
    """(line, imported module, names taken from it) for every import in the file."""
    here = module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, ()
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            yield node.lineno, module, tuple(a.name for a in node.names)


def cli_files() -> list[Path]:
    files = [p for p in python_files("watcher") if p.name.startswith("cli") or "cli" in p.parent.parts]
    assert files, "the CLI moved: update cli_files()"
    return files


def test_the_rules_read_real_imports() -> None:
    """The reader itself: a file known to import the store and a session helper is seen doing so."""
    found = list(imports(ROOT / "watcher" / "alerts" / "silences.py"))
    assert any(module == "watcher.store.engine" and "write_session" in names for _, module, names in found)
    assert any(module == "sqlmodel" for _, module, _ in found)


@pytest.mark.parametrize("path", python_files("sources"), ids=lambda p: p.name)
def test_a_source_imports_only_the_model_vocabulary_and_helpers(path: Path) -> None:
    wrong = [f"{path.name}:{line} imports {module}" for line, module, names in imports(path)
             if module.split(".")[0] == "watcher"
             and module not in SOURCE_MAY_IMPORT
             and not (module == "watcher" and set(names) <= {n.split(".")[1] for n in SOURCE_MAY_IMPORT})]
    assert not wrong, wrong


@pytest.mark.parametrize("path", python_files("watcher/store"), ids=lambda p: p.name)
def test_the_store_never_imports_the_diff_disagreement_or_identity_logic(path: Path) -> None:
    wrong = [f"{path.name}:{line} imports {module}" for line, module, names in imports(path)
             if module.startswith("watcher.") and not module.startswith("watcher.store")
             and (set(module.split(".")) & STORE_MUST_NOT_IMPORT
                  or (module == "watcher" and set(names) & STORE_MUST_NOT_IMPORT))]
    assert not wrong, wrong


@pytest.mark.parametrize("path", cli_files(), ids=lambda p: p.name)
def test_the_cli_never_opens_a_session(path: Path) -> None:
    wrong = [f"{path.name}:{line} imports {', '.join(sorted(set(names) & SESSION_NAMES))} from {module}"
             for line, module, names in imports(path) if set(names) & SESSION_NAMES]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    wrong += [f"{path.name}:{node.lineno} calls .{node.func.attr}()" for node in ast.walk(tree)
              if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in {"begin", "session", "exec"}]
    assert not wrong, wrong


def test_docs_architecture_states_the_rules_this_file_checks() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert "## Layers and what each may import" in text
    for module in SOURCE_MAY_IMPORT:
        assert f"`{module}`" in text, module
