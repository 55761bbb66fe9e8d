"""Secrets from `${ENV}` and systemd credentials, and redaction for anything we print.

A `Secret` never shows its value in str(), repr(), logs or tracebacks; code that
needs the value calls `reveal()` at the last moment (handing a URL to apprise).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Final

_REFERENCE: Final = re.compile(r"\$\{(?:(credential|file):)?([A-Za-z0-9_.\-/]+)(:-[^}]*)?\}")
_REDACTED: Final = "***"


class SecretError(ValueError):
    pass


class Secret:
    __slots__ = ("_hint", "_value")

    def __init__(self, value: str, hint: str = "") -> None:
        self._value = value
        self._hint = hint

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({self._hint or _REDACTED})"

    def __str__(self) -> str:
        return self._hint or _REDACTED

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def expand(text: str, *, where: str, environ: dict[str, str] | None = None) -> Secret:
    """Replace `${NAME}` (environment; `${NAME:-default}` when optional),
    `${credential:NAME}` ($CREDENTIALS_DIRECTORY/NAME) and `${file:/path}` references;
    `where` names the config key in errors."""
    env = os.environ if environ is None else environ

    def replace(match: re.Match[str]) -> str:
        kind, name, default = match.group(1), match.group(2), match.group(3)
        if kind is None:
            if name not in env and default is not None:
                return default[2:]  # ${NAME:-fallback}: an optional setting
            if name not in env:
                raise SecretError(f"{where}: environment variable {name} is not set")
            return env[name]
        if kind == "credential":
            directory = env.get("CREDENTIALS_DIRECTORY")
            if not directory:
                raise SecretError(f"{where}: ${{credential:{name}}} needs $CREDENTIALS_DIRECTORY (systemd LoadCredential=)")
            path = Path(directory) / name
        else:
            path = Path(name)
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SecretError(f"{where}: cannot read secret file {path}: {exc.strerror}") from None

    value = _REFERENCE.sub(replace, text)
    return Secret(value, hint=redact_url(value))


def redact_url(url: str) -> str:
    """A URL safe to show: scheme and host kept, credentials, paths and tokens masked."""
    match = re.match(r"^([a-zA-Z][a-zA-Z0-9+.\-]*)://(?:[^@/]*@)?([^/?#]*)", url)
    if not match:
        return _REDACTED
    scheme, host = match.group(1), match.group(2)
    if not is_network_host(host):
        return f"{scheme}://{_REDACTED}"
    rest = url[match.end():]
    return f"{scheme}://{host}{'/' + _REDACTED if rest.strip('/') else ''}"


# A host name with a dot, an IP address or localhost, with an optional port.
_NETWORK_HOST: Final = re.compile(
    r"^(?:localhost|\[[0-9A-Fa-f:.]+\]|(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z0-9-]*[A-Za-z0-9])"
    r"(?::\d{1,5})?$"
)


def is_network_host(host: str) -> bool:
    """Is this the host of a URL, as opposed to a token many apprise schemes put in
    the host's place (`slack://xoxb-…`, `tgram://BOT_TOKEN/…`, `discord://ID/TOKEN`)?"""
    return bool(_NETWORK_HOST.match(host))


_USERINFO: Final = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.\-]*://)[^\s/@'\"<>]+@")
# Webhook URLs carry their secret in the path: mask them even when not configured by us.
_WEBHOOK_PATH: Final = re.compile(r"(hooks\.slack\.com/services|discord(?:app)?\.com/api/webhooks)/[^\s'\"<>]+")


def redact_text(text: str, secrets: list[Secret] | None = None) -> str:
    """Mask known secret values, URL credentials and webhook tokens in free text."""
    for secret in secrets or []:
        value = secret.reveal()
        if len(value) >= 4:
            text = text.replace(value, str(secret))
    text = _USERINFO.sub(lambda m: f"{m.group(1)}{_REDACTED}@", text)
    return _WEBHOOK_PATH.sub(lambda m: f"{m.group(1)}/{_REDACTED}", text)
