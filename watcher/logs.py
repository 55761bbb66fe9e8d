"""Logging: one line per event, journald-friendly, optionally JSON, secrets redacted."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys
from typing import Final, TextIO

from watcher.secrets import Secret, redact_text

# apprise and urllib3 print webhook tokens and credentials at DEBUG.
_CHATTY = ("apprise", "urllib3", "httpx", "httpcore", "apscheduler", "alembic", "sqlalchemy")
LOG_FORMATS: Final = ("text", "json")

# sd-daemon(3) priorities, which journald reads from a `<N>` line prefix, so that
# `journalctl -p err` finds a rejected reload.
_PRIORITY: Final = ((logging.CRITICAL, 2), (logging.ERROR, 3), (logging.WARNING, 4), (logging.INFO, 6))


class RedactingFilter(logging.Filter):
    def __init__(self, secrets: list[Secret] | None = None) -> None:
        super().__init__()
        self.secrets = secrets or []

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg = redact_text(message, self.secrets)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info), self.secrets)
            record.exc_info = None
        return True


def priority(level: int) -> int:
    """The syslog priority of a logging level (DEBUG and below: 7)."""
    return next((p for threshold, p in _PRIORITY if level >= threshold), 7)


class JournalFormatter(logging.Formatter):
    """Prefixes every line with the record's priority; journald strips the prefix.
    A traceback's continuation lines get it too, so they are not filed as info."""

    def __init__(self, inner: logging.Formatter) -> None:
        super().__init__()
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        prefix = f"<{priority(record.levelno)}>"
        return "\n".join(prefix + line for line in self.inner.format(record).splitlines() or [""])


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, and
    the exception text when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_text:
            entry["exception"] = record.exc_text
        elif record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def under_journald(stream: TextIO, environ: dict[str, str] | None = None) -> bool:
    """True when `stream` is the journal stream systemd connected us to
    (JOURNAL_STREAM names its device and inode; a redirected stderr is not it)."""
    value = (os.environ if environ is None else environ).get("JOURNAL_STREAM", "")
    device, _, inode = value.partition(":")
    if not (device.isdigit() and inode.isdigit()):
        return False
    try:
        stat = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return (stat.st_dev, stat.st_ino) == (int(device), int(inode))


def formatter(log_format: str = "text", *, journal: bool = False) -> logging.Formatter:
    if log_format == "json":
        inner: logging.Formatter = JsonFormatter()
    else:
        # No timestamp when journald adds its own.
        inner = logging.Formatter(f"{'' if journal else '%(asctime)s '}%(levelname)s %(name)s: %(message)s")
    return JournalFormatter(inner) if journal else inner


def setup_logging(level: int = logging.INFO, secrets: list[Secret] | None = None,
                  log_format: str = "text") -> RedactingFilter:
    """Configure the root logger once; returns the filter so secrets can be added later."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(log_format, journal=under_journald(sys.stderr)))
    redactor = RedactingFilter(secrets)
    handler.addFilter(redactor)
    root.addHandler(handler)
    root.setLevel(level)
    for name in _CHATTY:
        logging.getLogger(name).setLevel(max(level, logging.INFO if name != "sqlalchemy" else logging.WARNING))
    return redactor
