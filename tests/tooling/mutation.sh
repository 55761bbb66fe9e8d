#!/bin/sh
# Mutation run over the guard and the poll step (issue 9): mutmut on watcher/guard.py and
# watcher/step.py, killed by tests/test_guard.py and tests/test_step.py (pure, fast).
# mutmut is a dev tool, not a dependency: `.venv/bin/pip install mutmut` first.
# It works in a scratch copy of the checkout, so the repository is never touched.
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd)
mutmut=${MUTMUT:-$repo/.venv/bin/mutmut}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$repo" && git ls-files | tar -cf - -T - | tar -xf - -C "$work"
cd "$work"
find tests -name 'test_*.py' ! -name test_guard.py ! -name test_step.py -delete
cat > setup.cfg <<'CFG'
[mutmut]
paths_to_mutate=watcher/guard.py
    watcher/step.py
tests_dir=tests/
also_copy=watcher/
    sources/
    tests/
pytest_add_cli_args=-p no:cacheprovider -q
CFG
"$mutmut" run --max-children "${JOBS:-2}" >/dev/null 2>&1 || true
"$mutmut" results 2>/dev/null | grep -v ': killed' || true
"$mutmut" results --all true 2>/dev/null | awk -F': ' '{n++; if ($2 == "killed") k++} END {printf "killed %d of %d mutants (%.1f%%)\n", k, n, 100 * k / n}'
