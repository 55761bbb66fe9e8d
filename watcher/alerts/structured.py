"""The JSON document a `format = "json"` channel receives (docs/alerts.md, "JSON webhooks").

One object per message: what the message is (schema, kind, title, route,
severity, the command listing its changes) and its change rows in the shape of
`watcher changes --format json`. Scraped string values are neutralised like
text (`escape.plain`): a ticket system or a chat fed from it finds no mention,
markup or link to act on; `id` finds the exact values (`watcher changes`). Pure.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final

from watcher.alerts import escape
from watcher.alerts.digest import Digest
from watcher.alerts.items import AlertItem
from watcher.store.queries_changes import CHANGE_FIELDS
from watcher.store.values import iso_time

SCHEMA: Final = "watcher.alert/1"
VALUE_MAX: Final = 2000


def change_row(i: AlertItem) -> dict[str, Any]:
    """One change as `watcher changes --format json` prints it (delivered changes are never silenced)."""
    def scraped(value: str | None) -> str | None:
        return None if value is None else escape.plain(value, VALUE_MAX)

    row: dict[str, Any] = {
        "id": i.change_id, "detected_at": iso_time(i.detected_at), "source": scraped(i.source),
        "provider": scraped(i.provider), "model": scraped(i.model), "key": scraped(i.key), "kind": i.kind.value,
        "field": scraped(i.field), "old": scraped(i.old), "new": scraped(i.new), "severity": i.severity.value,
        "note": scraped(i.note), "run_id": i.run_id, "silence_id": None,
    }
    return {name: row[name] for name in CHANGE_FIELDS}


def digest_document(digest: Digest, *, title: str, route: str) -> str:
    items = sorted((i for e in digest.entries for i in e.every_item), key=lambda i: i.change_id)
    return envelope(kind=digest.kind, title=title, route=route, severity=digest.severity.value,
                    headline=[escape.plain(h, VALUE_MAX) for h in digest.headline], command=digest.command,
                    changes=[change_row(i) for i in items], entries=len(digest.entries))


def envelope(*, kind: str, title: str, route: str | None, severity: str, changes: Sequence[dict[str, Any]] = (),
             headline: Sequence[str] = (), command: str | None = None, entries: int | None = None,
             text: str | None = None) -> str:
    """The document; `text` carries messages that are not about changes (dead deliveries, the hello)."""
    document: dict[str, Any] = {"schema": SCHEMA, "kind": kind, "title": title, "route": route,
                                "severity": severity, "headline": list(headline), "command": command,
                                "entries": entries, "change_count": len(changes), "changes": list(changes)}
    if text is not None:
        document["text"] = text
    return json.dumps(document, ensure_ascii=False, indent=2)
