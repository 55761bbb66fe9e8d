"""Logging: one line per event, journald-friendly, secrets redacted."""

from __future__ import annotations

import logging
import sys

from watcher.secrets import Secret, redact_text

# apprise and urllib3 print webhook tokens and credentials at DEBUG.
_CHATTY = ("apprise", "urllib3", "httpx", "httpcore", "apscheduler", "alembic", "sqlalchemy")


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


def setup_logging(level: int = logging.INFO, secrets: list[Secret] | None = None) -> RedactingFilter:
    """Configure the root logger once; returns the filter so secrets can be added later."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    # No timestamp when journald adds its own (it sets JOURNAL_STREAM).
    import os

    stamp = "" if os.environ.get("JOURNAL_STREAM") else "%(asctime)s "
    handler.setFormatter(logging.Formatter(f"{stamp}%(levelname)s %(name)s: %(message)s"))
    redactor = RedactingFilter(secrets)
    handler.addFilter(redactor)
    root.addHandler(handler)
    root.setLevel(level)
    for name in _CHATTY:
        logging.getLogger(name).setLevel(max(level, logging.INFO if name != "sqlalchemy" else logging.WARNING))
    return redactor
