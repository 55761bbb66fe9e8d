"""Leader election for replicas sharing one database: a lease row with a fencing epoch.

The database's clock decides expiry, so replicas whose clocks disagree still
agree on who leads. The epoch grows each time the lease changes hands; a poll
remembers the epoch it started under, and `fence` re-checks it inside the
poll's own transaction, holding a share lock on the lease row until commit.
A leader that was paused (GC, SIGSTOP, a hung NFS) and lost its lease in the
meantime therefore cannot commit: its transaction rolls back, and the new
leader, which took the lease only after any share lock was released, sees
whatever was committed before it. SQLite takes the same path; there the write
lock of BEGIN IMMEDIATE serialises everything anyway.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import secrets
import socket
import time
from typing import Final

from sqlalchemy import Engine
from sqlmodel import Session

from watcher.store import lease as lease_row
from watcher.store.engine import write_session

LEADER: Final = "leader"


class LeaseLost(RuntimeError):
    """This process no longer holds the lease it started the work under."""


def default_holder() -> str:
    """Unique per process (a restarted daemon is a new holder): host:pid-namespace:pid:token."""
    return f"{socket.gethostname()}:{_pid_namespace()}:{os.getpid()}:{secrets.token_hex(3)}"


def holder_is_dead(holder: str) -> bool:
    """Is `holder` a process of this host and PID namespace that no longer exists?

    Then its lease need not be waited out: after a crash and restart (systemd's
    Restart=, a single SQLite process) polling resumes at once instead of after
    `lease_seconds`. Anything we cannot prove dead is presumed alive."""
    parts = holder.rsplit(":", 3)
    if len(parts) != 4 or not parts[2].isdigit():
        return False
    host, namespace, pid, _ = parts
    if host != socket.gethostname() or namespace != _pid_namespace() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # exists (e.g. EPERM: someone else's process)
    return False


def _pid_namespace() -> str:
    # Two containers may share a host name and PIDs; their PID namespaces differ.
    try:
        return str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        return "-"


@dataclasses.dataclass
class Lease:
    engine: Engine
    seconds: int
    holder: str = dataclasses.field(default_factory=default_holder)
    name: str = LEADER
    epoch: int | None = None  # while held
    _valid_until: float = 0.0  # monotonic: when our belief in holding it runs out

    @property
    def held(self) -> bool:
        """Do we (still) believe we lead? The database has the last word in `fence`."""
        return self.epoch is not None and time.monotonic() < self._valid_until

    def acquire_or_renew(self) -> bool:
        """One round: renew our lease, or take it over when it has expired. Blocking."""
        started = time.monotonic()
        with write_session(self.engine) as session:
            row = lease_row.lock_for_update(session, self.name)
            now = lease_row.db_now(session)
            mine = row.holder == self.holder
            if not mine and row.expires_at > now and not holder_is_dead(row.holder):
                self.epoch = None
                return False
            if not mine:
                row.holder = self.holder
                row.epoch += 1
                row.acquired_at = now
            row.expires_at = now + dt.timedelta(seconds=self.seconds)
            lease_row.save(session, row)
            epoch = row.epoch
        # Counted from before the round trip, so our belief never outlives the row.
        self.epoch, self._valid_until = epoch, started + self.seconds
        return True

    def release(self) -> None:
        """Hand the lease back at once (clean shutdown), so a standby need not wait it out."""
        if self.epoch is None:
            return
        with write_session(self.engine) as session:
            lease_row.expire_now(session, self.name, self.holder)
        self.epoch = None

    def fence(self, session: Session, epoch: int | None) -> None:
        """Inside a write transaction: raise LeaseLost unless we still hold `epoch`.

        The share lock taken here is held to commit, so the lease cannot change
        hands between this check and the commit."""
        row = lease_row.share_locked(session, self.name)
        now = lease_row.db_now(session)
        if epoch is None or row is None or row.holder != self.holder or row.epoch != epoch:
            current = f"{row.holder} (epoch {row.epoch})" if row is not None else "nobody"
            raise LeaseLost(f"lease epoch {epoch} is gone; now held by {current}")
        if row.expires_at <= now:
            raise LeaseLost(f"lease epoch {epoch} expired at {row.expires_at.isoformat()}")

    def current(self) -> tuple[str, int] | None:
        """(holder, epoch) of a live lease, whoever holds it."""
        return lease_row.live_holder(self.engine, self.name)
