"""A dead delivery is news: one message on the other channels saying which alerts
did not get through, and how to look at them and send them again.

Queued by the dispatcher right after the send that gave up; never about a
message that is itself such news (a dead channel must not start an echo).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from typing import Final

from watcher.alerts import escape, outbox, structured
from watcher.alerts.channels import Bodies
from watcher.model import Severity
from watcher.store.engine import write_session
from watcher.store.tables import Delivery

KIND: Final = "dead"
LIST_COMMAND: Final = "watcher outbox --state dead"
RETRY_COMMAND: Final = "watcher deliver --retry-dead"


def bodies(channel: str, dead: Sequence[outbox.Claimed], errors: Sequence[str], now: dt.datetime) -> Bodies:
    """The message about deliveries to `channel` that were given up (`errors`: their last answers)."""
    n = len(dead)
    what = "1 alert" if n == 1 else f"{n} alerts"
    title = escape.plain(f"WARNING: {what} to channel {channel} could not be delivered")
    lines = []
    for claimed, error in zip(dead, errors, strict=True):
        failing = _human(now - claimed.created_at)
        lines.append((claimed.id, claimed.bodies.title, f"{claimed.attempts} attempts over {failing}", error))
    intro = (f"Channel {channel} refused or did not answer until the outbox gave up. "
             f"List them: {LIST_COMMAND}; send them again: {RETRY_COMMAND}")

    text = "\n".join([escape.plain(intro, 500), "", *(
        f"- delivery {i}: {escape.plain(t)} ({tries}); last answer: {escape.plain(e)}" for i, t, tries, e in lines)])
    markdown = "\n".join([
        (f"Channel **{escape.markdown(channel)}** refused or did not answer until the outbox gave up. "
        f"List them: `{LIST_COMMAND}`; send them again: `{RETRY_COMMAND}`"), "",
        *(f"- delivery {i}: {escape.markdown(t)} ({tries}); last answer: {escape.markdown(e)}"
          for i, t, tries, e in lines)])
    html = "\n".join([
        (f"<p>Channel <b>{escape.html_text(channel)}</b> refused or did not answer until the outbox gave up. "
        f"List them: <code>{LIST_COMMAND}</code>; send them again: <code>{RETRY_COMMAND}</code></p>"), "<ul>",
        *(f"<li>delivery {i}: {escape.html_text(t)} ({tries}); last answer: {escape.html_text(e)}</li>"
          for i, t, tries, e in lines), "</ul>"])
    return Bodies(title=title, text=text, markdown=markdown, html=html)


def queue_news(engine: object, channel: str, dead: Sequence[outbox.Claimed], errors: Sequence[str],
               others: Sequence[str], now: dt.datetime, formats: Mapping[str, str] | None = None) -> list[int]:
    """One message per other channel about `dead` (deliveries to `channel`); ids of rows added."""
    formats = formats or {}
    told = [(c, e) for c, e in zip(dead, errors, strict=True) if c.kind != KIND]
    if not told or not others:
        return []
    message = bodies(channel, [c for c, _ in told], [e for _, e in told], now)
    ids = ",".join(str(c.id) for c, _ in told)
    added: list[int] = []
    with write_session(engine) as session:  # type: ignore[arg-type]
        for other in others:
            key = hashlib.sha256(f"{channel}\x1e{ids}".encode()).hexdigest()[:40]
            text = message.text if formats.get(other, "text") != "json" else structured.envelope(
                kind=KIND, title=message.title, route=None, severity=Severity.WARNING.value, text=message.text)
            row = Delivery(dedupe_key=f"{KIND}:{other}:{key}", channel=other, route=None, kind=KIND,
                           severity=Severity.WARNING.value, title=message.title, body_text=text,
                           body_markdown=message.markdown, body_html=message.html, change_ids="[]",
                           status=outbox.PENDING, attempts=0, next_attempt_at=now, created_at=now)
            if outbox.queue(session, row):
                assert row.id is not None
                added.append(row.id)
    return added


def _human(delta: dt.timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.0f} h" if hours >= 1 else f"{delta.total_seconds() / 60:.0f} min"
