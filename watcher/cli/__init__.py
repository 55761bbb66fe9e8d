"""The `watcher` command line (docs/architecture.md, "The command line").

`app.py` holds the Typer application and its entry point, `context.py` what every
command is given and the options they share, `help_format`, `change_output` and
`deliveries` how shared things are printed; each other module is one group of
commands, registered on the app when it is imported here. The imports run one way:
this package imports the groups, the groups import `app`, `context` and those
helpers, and none of them imports a group.
"""

# isort: off
# The order of these imports is the order of `watcher --help`'s command list: the
# flow, from reading sources to querying what they said, alerting and running.
from watcher.cli import polling  # noqa: F401  (registers poll, accept, check, ingest, reparse)
from watcher.cli import queries  # noqa: F401  (changes, history, asof, upcoming, sources, describe, export)
from watcher.cli import dossier  # noqa: F401  (show)
from watcher.cli import database  # noqa: F401  (db upgrade, stats, prune)
from watcher.cli import alerts  # noqa: F401  (outbox, deliver, notify-test, silence)
from watcher.cli import audit  # noqa: F401  (audit)
from watcher.cli import daemon  # noqa: F401  (run, serve)
from watcher.cli import configuration  # noqa: F401  (config check)
# isort: on
# Only the entry point: re-exporting the Typer object `app` here would hide the module
# `watcher.cli.app` behind an attribute of the same name.
from watcher.cli.app import main

__all__ = ["main"]
