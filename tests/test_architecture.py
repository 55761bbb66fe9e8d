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
# The command line reaches the database only through the store's functions and the
# read facade: none of the database libraries, nor the store's engine module.
CLI_MUST_NOT_IMPORT = ("sqlalchemy", "sqlmodel", "alembic", "watcher.store.engine")
# Outside `watcher/store/`, the database libraries give only the names of the handles
# passed along (an engine, a connection, the session of a transaction) and the error
# classes that `watcher.errors` turns into one line; every query and write is a store
# function. (The command line is stricter still: see CLI_MUST_NOT_IMPORT.)
DATABASE_LIBRARIES = ("sqlalchemy", "sqlmodel", "alembic")
HANDLE_NAMES_OUTSIDE_THE_STORE: dict[str, frozenset[str]] = {
    "sqlalchemy": frozenset({"Engine", "Connection"}),
    "sqlmodel": frozenset({"Session"}),
    "sqlalchemy.exc": frozenset({"OperationalError", "SQLAlchemyError"}),
}
# Calls that query or write through a session or a connection: the store's business
# (any method of something named `session` or `connection`, and these anywhere).
QUERY_METHODS = frozenset({"exec", "execute", "exec_driver_sql", "scalar", "scalars", "scalar_one",
                           "expunge", "begin_nested", "get_bind", "connection", "with_for_update"})
SESSION_RECEIVERS = frozenset({"session", "connection"})


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
    files = python_files("watcher/cli")
    assert files, "the CLI moved: update cli_files()"
    return files


def import_graph(*folders: str) -> dict[str, set[str]]:
    """Module -> the modules of these folders it imports (`from package import module` included)."""
    modules = {module_name(p): p for p in python_files(*folders)}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        graph[name] = set()
        for _, module, names in imports(path):
            submodules = {f"{module}.{n}" for n in names} & set(modules)
            # `from package import submodule` depends on the submodule, not on the package's facade.
            taken = submodules if names and len(submodules) == len(names) else {module, *submodules}
            for candidate in taken:
                if candidate in modules and candidate != name:
                    graph[name].add(candidate)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_rules_read_real_imports() -> None:
    """The reader itself: a file known to import the store and a session helper is seen doing so."""
    found = list(imports(ROOT / "watcher" / "alerts" / "silences.py"))
    assert any(module == "watcher.store.engine" and "write_session" in names for _, module, names in found)
    assert any(module == "sqlmodel" for _, module, _ in found)


def test_the_cycle_finder_finds_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert "watcher.cli.app" in import_graph("watcher/cli")["watcher.cli.queries"]
    assert "watcher.cli.queries" in import_graph("watcher/cli")["watcher.cli"]  # `from watcher.cli import queries`


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
def test_the_cli_never_opens_a_session_or_a_connection(path: Path) -> None:
    wrong = [f"{path.name}:{line} imports {', '.join(sorted(set(names) & SESSION_NAMES))} from {module}"
             for line, module, names in imports(path) if set(names) & SESSION_NAMES]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    wrong += [f"{path.name}:{node.lineno} calls .{node.func.attr}()" for node in ast.walk(tree)
              if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in {"begin", "connect", "session", "exec"}]
    assert not wrong, wrong


@pytest.mark.parametrize("path", cli_files(), ids=lambda p: p.name)
def test_the_cli_reaches_the_database_only_through_the_store(path: Path) -> None:
    wrong = [f"{path.name}:{line} imports {module}" for line, module, _ in imports(path)
             if any(module == banned or module.startswith(f"{banned}.") for banned in CLI_MUST_NOT_IMPORT)]
    assert not wrong, wrong


def outside_the_store() -> list[Path]:
    files = [p for p in python_files("watcher", "sources") if "store" not in p.relative_to(ROOT).parts[:2]]
    assert ROOT / "watcher" / "alerts" / "outbox.py" in files and ROOT / "watcher" / "store" / "outbox.py" not in files
    return files


def database_calls(path: Path) -> list[str]:
    """The calls in the file that query or write the database themselves."""
    wrong = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        receiver = node.func.value
        name = receiver.id if isinstance(receiver, ast.Name) else (
            receiver.attr if isinstance(receiver, ast.Attribute) else None)
        if node.func.attr in QUERY_METHODS or name in SESSION_RECEIVERS:
            wrong.append(f"{path.relative_to(ROOT)}:{node.lineno} calls {name or '…'}.{node.func.attr}()")
    return wrong


def test_the_query_call_finder_finds_queries() -> None:
    found = database_calls(ROOT / "watcher" / "store" / "outbox.py")
    assert any("session.exec()" in f for f in found) and any("session.add()" in f for f in found)


@pytest.mark.parametrize("path", outside_the_store(), ids=lambda p: str(p.relative_to(ROOT)))
def test_database_access_lives_in_the_store(path: Path) -> None:
    """Outside watcher/store/: no query or write through a session or connection, and of
    the database libraries only the handle and error names (docs/architecture.md,
    "Where database access lives")."""
    wrong = database_calls(path)
    for line, module, names in imports(path):
        if module.split(".")[0] not in DATABASE_LIBRARIES:
            continue
        allowed = HANDLE_NAMES_OUTSIDE_THE_STORE.get(module, frozenset())
        if not names or set(names) - allowed:
            wrong.append(f"{path.relative_to(ROOT)}:{line} imports {', '.join(names) or module} from {module}")
    assert not wrong, wrong


def test_no_module_of_the_engine_imports_a_private_name_of_another() -> None:
    """A `_name` is its module's own business; what another module needs is made public."""
    wrong = [f"{path.relative_to(ROOT)}:{line} imports {', '.join(private)} from {module}"
             for path in python_files("watcher") for line, module, names in imports(path)
             if module.split(".")[0] == "watcher"
             and (private := [n for n in names if n.startswith("_") and not n.startswith("__")])]
    assert not wrong, wrong


# Cycles still being taken apart, to be deleted here when they are gone: none left (the
# config checks schedules with watcher.schedule_spec, which the daemon's scheduling uses too).
KNOWN_CYCLES: list[frozenset[str]] = []


def test_no_import_cycles_in_the_engine() -> None:
    """Every import counts, lazy ones included: a cycle hidden in a function is still a cycle of ideas."""
    new = [c for c in cycles(import_graph("watcher")) if not any(set(c) <= known for known in KNOWN_CYCLES)]
    assert new == []


def test_docs_architecture_states_the_rules_this_file_checks() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert "## Layers and what each may import" in text
    for module in SOURCE_MAY_IMPORT:
        assert f"`{module}`" in text, module
    assert "## Where database access lives" in text
    for names in HANDLE_NAMES_OUTSIDE_THE_STORE.values():
        for name in names:
            assert f"`{name}`" in text, name
