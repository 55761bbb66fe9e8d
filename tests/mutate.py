"""A small mutation run (not collected by pytest): does any test notice when the logic changes?

    .venv/bin/python -m tests.mutate watcher/alerts/digest.py tests/test_alerts_render.py ... --sample 60
    .venv/bin/python -m tests.mutate watcher/alerts/queue.py --list     # the mutants, not run

Each mutant is one small edit of the module's syntax tree: a comparison flipped
(`<` ↔ `<=`, `==` ↔ `!=`, `in` ↔ `not in`, `is` ↔ `is not`), `and` ↔ `or`, a
`not` dropped, an `if` condition negated, `+` ↔ `-`, an integer constant moved
by one, a string constant replaced, a `return` value replaced by `None`, a call
statement dropped. Docstrings, annotations and logging calls are left alone
(they cannot change behaviour). For each mutant the module file is rewritten in
place, the given tests run (`pytest -x`, SQLite only), and the file is restored
(run it in a copy of the tree, `cd COPY && python -m tests.mutate …`, to keep
working meanwhile: tests import the modules of the current directory);
a mutant is killed when the tests fail. mutmut does the same with more
operators; this runs the few tests that matter per module on a loaded 2-core
machine in minutes, and prints each survivor with its line, to be judged
(equivalent, or a test to write).
"""

from __future__ import annotations

import argparse
import ast
import copy
import dataclasses
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

_FLIP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
         ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is}


@dataclasses.dataclass(frozen=True)
class Mutant:
    index: int  # the node's position in ast.walk order
    kind: str
    line: int
    what: str


def _skipped(tree: ast.Module) -> set[int]:
    """Nodes no mutation should touch: docstrings, annotations, logging calls."""
    skip: set[int] = set()

    def mark(node: ast.AST | None) -> None:
        if node is not None:
            skip.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(
                body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            mark(body[0])
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            mark(node.returns)
            for arg in [*node.args.args, *node.args.kwonlyargs, *node.args.posonlyargs]:
                mark(arg.annotation)
        if isinstance(node, ast.AnnAssign):
            mark(node.annotation)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(
                node.func.value, ast.Name) and node.func.value.id == "log":
            mark(node)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            mark(node)
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            mark(node)
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            mark(node)
    return skip


def mutants(tree: ast.Module) -> Iterator[Mutant]:
    skip = _skipped(tree)
    for index, node in enumerate(ast.walk(tree)):
        if id(node) in skip:
            continue
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Compare):
            for k, op in enumerate(node.ops):
                if type(op) in _FLIP:
                    yield Mutant(index, f"compare:{k}", line, f"{type(op).__name__} -> {_FLIP[type(op)].__name__}")
        elif isinstance(node, ast.BoolOp):
            yield Mutant(index, "boolop", line, "and <-> or")
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            yield Mutant(index, "not", line, "drop not")
        elif isinstance(node, (ast.If, ast.IfExp, ast.While)):
            yield Mutant(index, "negate", line, "negate condition")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            yield Mutant(index, "binop", line, "+ <-> -")
        elif isinstance(node, ast.Constant) and type(node.value) is int:
            yield Mutant(index, "int", line, f"{node.value} -> {node.value + 1}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value:
            yield Mutant(index, "str", line, f"{node.value[:30]!r} -> 'XX'")
        elif isinstance(node, ast.Return) and node.value is not None and not (
                isinstance(node.value, ast.Constant) and node.value.value is None):
            yield Mutant(index, "return", line, "return None")
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            yield Mutant(index, "drop", line, "drop call")


def apply(tree: ast.Module, mutant: Mutant) -> str:
    tree = copy.deepcopy(tree)
    node = list(ast.walk(tree))[mutant.index]
    if mutant.kind.startswith("compare:"):
        assert isinstance(node, ast.Compare)
        k = int(mutant.kind.split(":")[1])
        node.ops[k] = _FLIP[type(node.ops[k])]()
    elif mutant.kind == "boolop":
        assert isinstance(node, ast.BoolOp)
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif mutant.kind == "not":
        assert isinstance(node, ast.UnaryOp)
        _replace(tree, node, node.operand)
    elif mutant.kind == "negate":
        assert isinstance(node, (ast.If, ast.IfExp, ast.While))
        node.test = ast.UnaryOp(op=ast.Not(), operand=node.test)
    elif mutant.kind == "binop":
        assert isinstance(node, ast.BinOp)
        node.op = ast.Sub() if isinstance(node.op, ast.Add) else ast.Add()
    elif mutant.kind == "int":
        assert isinstance(node, ast.Constant) and type(node.value) is int
        node.value = node.value + 1
    elif mutant.kind == "str":
        assert isinstance(node, ast.Constant)
        node.value = "XX"
    elif mutant.kind == "return":
        assert isinstance(node, ast.Return)
        node.value = ast.Constant(value=None)
    elif mutant.kind == "drop":
        assert isinstance(node, ast.Expr)
        node.value = ast.Constant(value=None)
    return ast.unparse(ast.fix_missing_locations(tree))


def _replace(tree: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, field, new)
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if item is old:
                        value[i] = new


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("module", type=Path)
    parser.add_argument("tests", nargs="*")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--sample", type=int, default=0, help="run this many mutants, drawn with --seed")
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    original = args.module.read_text(encoding="utf-8")
    tree = ast.parse(original)
    found = list(mutants(tree))
    if args.sample and args.sample < len(found):
        found = sorted(random.Random(args.seed).sample(found, args.sample), key=lambda m: (m.line, m.index))
    if args.list:
        for m in found:
            print(f"{args.module}:{m.line}: {m.kind} {m.what}")
        print(f"{len(found)} mutants")
        return 0
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-k", "not postgresql",
               *args.tests]
    killed, survived = 0, []
    started = time.monotonic()

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # so that `finally` puts the module back

    signal.signal(signal.SIGTERM, stop)
    try:
        for n, m in enumerate(found, 1):
            args.module.write_text(apply(tree, m), encoding="utf-8")
            try:
                # Subprocesses the tests start (`python -m watcher`) must import this tree too.
                env = {**os.environ, "PYTHONPATH": str(Path.cwd())}
                done = subprocess.run(command, capture_output=True, timeout=args.timeout, check=False, env=env)
                dead = done.returncode != 0
            except subprocess.TimeoutExpired:
                dead = True  # an endless loop is noticed too
            killed += dead
            if not dead:
                survived.append(m)
            print(f"[{n}/{len(found)}] {'killed  ' if dead else 'SURVIVED'} {args.module}:{m.line} {m.kind} {m.what}",
                  flush=True)
    finally:
        args.module.write_text(original, encoding="utf-8")
    print(f"\n{args.module}: {killed}/{len(found)} mutants killed ({100 * killed / max(len(found), 1):.0f}%) "
          f"in {time.monotonic() - started:.0f}s; survivors:")
    for m in survived:
        print(f"  {args.module}:{m.line}: {m.kind} {m.what}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
