"""How a command that sent alerts says so: `poll` and `accept` after their commits,
`deliver` when asked."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from watcher.alerts.dispatch import DispatchResult
    from watcher.app import App


def deliver_after_poll(app: App) -> bool:
    """What `watcher poll` does after its commits: send what they queued. False when
    a delivery it attempted failed (each named on stderr; the outbox retries it)."""
    if not any(channel.enabled for channel in app.settings.channels.values()):
        return True
    from watcher.alerts.dispatch import dispatch_due

    result = dispatch_due(app)
    report_dispatch(result)
    for o in result.outcomes:
        if o.status != "sent":
            state = "dead" if o.status == "dead" else "will retry"
            typer.echo(f"watcher: delivery {o.delivery_id} to {o.channel} failed ({state}): {o.answer}", err=True)
    return not (result.failed or result.dead)


def report_dispatch(result: DispatchResult) -> None:
    """One line on stderr counting what a dispatch sent, when it attempted anything."""
    if result.outcomes:
        typer.echo(f"deliveries: {result.sent} sent, {result.failed} failed (will retry), {result.dead} dead",
                   err=True)
