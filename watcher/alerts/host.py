"""What the alerts need of the application: its settings and its database.

A protocol rather than `watcher.app.App`, so the alerts sit below the application
without importing it (docs/architecture.md, "Layers and what each may import").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from watcher.config import Settings


class AlertsHost(Protocol):
    @property
    def settings(self) -> Settings: ...

    @property
    def engine(self) -> Engine: ...
