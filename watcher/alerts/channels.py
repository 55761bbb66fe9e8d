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
from urllib.parse import unquote, urlencode, urlsplit, urlunsplit

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


# Schemes whose URL names a host to connect to (a webhook, an SMTP server): one
# without a host can never work. Others (slack://, discord://…) carry tokens there.
_NETWORK_SCHEMES: Final = frozenset({"json", "jsons", "form", "forms", "xml", "xmls", "mailto", "mailtos",
                                     "http", "https", "ntfy", "ntfys", "gotify", "gotifys", "rocket", "rockets",
                                     "mmost", "mmosts", "matrix", "matrixs", "apprise", "apprises"})
_URL: Final = re.compile(r"^(?P<scheme>[a-zA-Z][a-zA-Z0-9+.\-]*)://(?P<authority>[^/?#]*)")
JSON_SCHEMES: Final = {"json": "http", "jsons": "https", "http": "http", "https": "https"}
FORMATS: Final = ("text", "json")


def url_syntax_problem(url: Secret, fmt: str = "text") -> str | None:
    """Why `url` can never work, judged from its spelling alone (no apprise, no network):
    no scheme, a port out of range, no host where one is needed. None when it may work."""
    found = _URL.match(url.reveal().strip())
    if found is None:
        return mask(f"not a URL (expected scheme://…, e.g. json://host/path) ({url})", url)
    scheme = found.group("scheme").lower()
    host, port = _host_port(found.group("authority"))
    if port is not None and not port.isdigit():
        return mask(f"the port is not a number ({url})", url)
    if port is not None and not 0 < int(port) <= 65535:
        return f"port {int(port)} is out of range 1-65535 ({mask(str(url), url)})"  # a port is no secret
    if not host and (scheme in _NETWORK_SCHEMES or fmt == "json"):
        return mask(f"no host to send to ({url})", url)
    if fmt == "json" and scheme not in JSON_SCHEMES:
        return mask(f"format \"json\" posts to json://, jsons://, http:// or https:// URLs, not {scheme}:// ({url})",
                    url)
    return None


def _host_port(authority: str) -> tuple[str, str | None]:
    hostport = authority.rpartition("@")[2]
    if hostport.startswith("["):  # [IPv6]:port
        host, _, rest = hostport[1:].partition("]")
        return host, rest[1:] or None
    host, _, port = hostport.partition(":")
    return host, port or None


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
    except Exception as exc:
        log.warning("sending through apprise raised %s", type(exc).__name__)
        return SendResult(False, mask(f"{type(exc).__name__}: {exc}", url), time.perf_counter() - started)


def post_json(url: Secret, document: str, *, timeout: dt.timedelta) -> SendResult:
    """POST our own JSON document (a `format = "json"` channel); never raises.

    json://host/path posts to http://host/path, jsons:// to https://; user:password
    in the URL is basic auth; `+Name=value` query arguments are request headers
    (as apprise's json:// does); other query arguments are kept.
    """
    import httpx

    started = time.perf_counter()
    try:
        parts = urlsplit(url.reveal().strip())
        scheme = JSON_SCHEMES[parts.scheme.lower()]
        # Not parse_qsl: it reads `+` as a space, and `+Name` marks a header here.
        query = [(unquote(k), unquote(v)) for k, _, v in (p.partition("=") for p in parts.query.split("&") if p)]
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": APP_ID,
                   **{k[1:]: v for k, v in query if k.startswith("+")}}
        auth = (unquote(parts.username or ""), unquote(parts.password or "")) if parts.username else None
        netloc = parts.netloc.rpartition("@")[2]
        target = urlunsplit((scheme, netloc, parts.path or "/", urlencode([(k, v) for k, v in query
                                                                            if not k.startswith("+")]), ""))
        response = httpx.post(target, content=document.encode(), headers=headers, auth=auth,
                              timeout=timeout.total_seconds())
        ok = 200 <= response.status_code < 300
        answer = f"JSON: HTTP {response.status_code}" + ("" if ok else f": {response.text[:200].strip()}")
        return SendResult(ok, mask(answer, url), time.perf_counter() - started, "json")
    except Exception as exc:
        return SendResult(False, mask(f"JSON: {type(exc).__name__}: {exc}", url), time.perf_counter() - started,
                          "json")


def _status(service: object) -> str:
    status = getattr(service, "status", None)
    name = str(getattr(status, "name", status) or "unknown").lower()
    return "accepted" if name == "success" else name
