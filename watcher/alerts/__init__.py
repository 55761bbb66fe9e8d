"""Alerts (docs/architecture.md, "Alerts"): routed, grouped, escaped, queued with the changes, sent
through apprise from a durable outbox, retried, never silently dropped.

    pipeline commit ──► queue.OutboxHook ──► delivery rows (same transaction)
                                              │
    dispatch.dispatch_due ◄── after the commit, on a schedule, `watcher deliver`
          └──► channels.send (apprise) ──► sent / retry with backoff / dead

For the daemon (all safe to run concurrently, in one process or several):

- `dispatch_due(app, now=None)` / `dispatch_due_async(app, now=None)`: send what is due.
- `send_reminders(app, now=None)` / `send_reminders_async(app, now=None)`: queue
  deadline reminders for watched models; dispatch afterwards.
- `OutboxHook(settings)`: the pipeline commit hook (`App.create` installs it).

Modules: items (what an alert says about one change), routing, digest,
render + escape, structured (the JSON document), flapping's rule (pure);
queue, outbox, silences, reminders, welcome (the first start's hello), dead
(news of a dead delivery) (database); channels (apprise, our JSON POST, URL
spelling), dispatch (sending).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from watcher.alerts.dispatch import DispatchResult, dispatch_due, dispatch_due_async
    from watcher.alerts.queue import OutboxHook
    from watcher.alerts.reminders import (
        RemindersResult,
        send_reminders,
        send_reminders_async,
    )

__all__ = ["DispatchResult", "OutboxHook", "RemindersResult", "dispatch_due", "dispatch_due_async",
           "send_reminders", "send_reminders_async"]

_WHERE = {
    "DispatchResult": "dispatch", "dispatch_due": "dispatch", "dispatch_due_async": "dispatch",
    "OutboxHook": "queue",
    "RemindersResult": "reminders", "send_reminders": "reminders", "send_reminders_async": "reminders",
}


def __getattr__(name: str) -> Any:
    # Lazy, so that config validation (which only needs `channels`) stays light.
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(f"watcher.alerts.{_WHERE[name]}"), name)
    raise AttributeError(name)
