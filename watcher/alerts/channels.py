"""The apprise edge: check a channel URL, send one message, report the channel's answer.

Nothing here keeps state between sends: every send builds a fresh `Apprise`
object with in-memory storage, so a retry never depends on what apprise
remembered, and nothing about a channel is written to disk by apprise.

Every string that leaves this module (errors, answers) has been through
`mask()`, which hides the whole URL, its credentials, and each path or query
part of it (an apprise message may quote a single token of a webhook URL).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import threading
import time
from typing import TYPE_CHECKING, Final

from watcher.model import Severity
from watcher.secrets import Secret, is_network_host, redact_text

if TYPE_CHECKING:
    import apprise

log = logging.getLogger(__name__)

APP_ID: Final = "Model Lifecycle Watcher"
APP_DESC: Final = "Watches where AI models are announced, priced and sold"
# URL parts shorter than this are words like "to", "smtp", "yes": masking them
# would shred the message without protecting anything.
_MIN_SECRET_PART: Final = 4
_URL_PARTS: Final = re.compile(r"[/:@?&=#,;+\s]+")
_INSTANTIATING: Final = threading.Lock()
_CHATTER: Final = re.compile(r"^\s*Notifying \d+ service")  # apprise's own progress line, not an answer


@dataclasses.dataclass(frozen=True, slots=True)
class Bodies:
    """The same message in the three forms channels take."""

    title: str
    text: str
    markdown: str  # CommonMark; apprise turns it into Slack mrkdwn
    html: str


@dataclasses.dataclass(frozen=True, slots=True)
class SendResult:
    ok: bool
    answer: str  # what apprise and the channel said, secrets masked
    seconds: float
    body_format: str | None = None


def mask(text: str, secret: Secret) -> str:
    """`text` with the channel's URL, credentials and any token of it hidden."""
    value = secret.reveal()
    text = redact_text(text, [secret])
    # The scheme and a network host are what `str(secret)` already shows; everything
    # else may be a token (`slack://xoxb-…` puts one where the host would be).
    scheme_host = re.match(r"^([a-zA-Z][a-zA-Z0-9+.\-]*)://(?:[^@/]*@)?([^/?#:]*)", value)
    public = {scheme_host.group(1)} if scheme_host else set()
    if scheme_host and is_network_host(scheme_host.group(2)):
        public.add(scheme_host.group(2))
    for part in sorted(_URL_PARTS.split(value), key=len, reverse=True):
        if len(part) >= _MIN_SECRET_PART and part not in public and "://" not in part:
            text = text.replace(part, "***")
    return text


def url_problem(url: Secret) -> str | None:
    """Why apprise cannot use `url`, or None when it can (no network is touched)."""
    plugin, problem = _instantiate(url, None)
    return problem if plugin is None else None


def _instantiate(url: Secret, timeout: dt.timedelta | None) -> tuple[apprise.plugins.NotifyBase | None, str | None]:
    import apprise

    # Captured and said once, in our words (`mask`ed), instead of apprise's own log
    # line. The capture and the switch are global to the apprise logger: one at a time.
    with _INSTANTIATING:
        apprise_log = logging.getLogger("apprise")
        propagate, apprise_log.propagate = apprise_log.propagate, False
        try:
            with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as captured:
                plugin = apprise.Apprise.instantiate(url.reveal(), asset=_asset(timeout))
        finally:
            apprise_log.propagate = propagate
    if plugin is not None:
        return plugin, None
    said = " ".join(line.strip() for line in captured.getvalue().splitlines() if line.strip())
    reason = f"apprise cannot use this URL ({url})"
    return None, mask(f"{reason}: {said}" if said else reason, url)


def _asset(timeout: dt.timedelta | None) -> apprise.AppriseAsset:
    import apprise

    return apprise.AppriseAsset(
        app_id=APP_ID,
        app_desc=APP_DESC,
        storage_mode="memory",
        # Scraped text such as ":fire:" must stay text.
        interpret_emojis=False,
        service_timeout=timeout.total_seconds() if timeout is not None else 60.0,
    )


_NOTIFY_TYPE: Final = {Severity.CRITICAL: "failure", Severity.WARNING: "warning", Severity.INFO: "info"}


def send(url: Secret, bodies: Bodies, severity: Severity, *, timeout: dt.timedelta) -> SendResult:
    """Send one message through one channel, in the body format the channel prefers
    (HTML for email, Markdown for Slack, text for the rest); never raises."""
    import apprise

    started = time.perf_counter()
    try:
        plugin, problem = _instantiate(url, timeout)
        if plugin is None:
            return SendResult(False, problem or "unusable URL", time.perf_counter() - started)
        fmt = plugin.resolve_format(None)
        body = {apprise.NotifyFormat.HTML: bodies.html,
                apprise.NotifyFormat.MARKDOWN: bodies.markdown}.get(fmt, bodies.text)
        sender = apprise.Apprise(plugin, asset=plugin.asset)
        result = sender.notify(body=body, title=bodies.title, notify_type=_NOTIFY_TYPE[severity],
                               body_format=fmt, log_level=logging.INFO)
        said = [entry.message.strip() for entry in result.logs()
                if entry.message.strip() and not _CHATTER.match(entry.message)]
        ok = bool(result)
        # Apprise logs failures (the channel's error) at WARNING; success is a status.
        verdicts = [f"{service.name}: {_status(service)}" for service in result]
        answer = "; ".join(said + ([] if said and not ok else verdicts)) or ("sent" if ok else "not sent")
        return SendResult(ok, mask(answer, url), time.perf_counter() - started, fmt.value)
    except Exception as exc:  # noqa: BLE001 - a plugin bug must cost one attempt, not the dispatcher
        log.warning("sending through apprise raised %s", type(exc).__name__)
        return SendResult(False, mask(f"{type(exc).__name__}: {exc}", url), time.perf_counter() - started)


def _status(service: object) -> str:
    status = getattr(service, "status", None)
    name = str(getattr(status, "name", status) or "unknown").lower()
    return "accepted" if name == "success" else name
