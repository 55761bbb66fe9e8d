"""The lease row of leader election (`watcher.daemon.lease`): its SQL, and the
database's clock, which decides expiry so that replicas whose clocks disagree still
agree on who leads. The daemon decides who may take the lease; these read and
write the row under the locks it needs."""

from __future__ import annotations

import datetime as dt
from typing import Final

from sqlalchemy import Engine, text, update
from sqlalchemy.sql.dml import UpdateBase
from sqlmodel import Session, col, select

from watcher.store import times
from watcher.store.engine import read_session
from watcher.store.tables import Lease

_NEVER: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_UNHELD: Final = {"holder": "", "epoch": 0, "expires_at": _NEVER, "acquired_at": _NEVER}  # a row nobody holds


def db_now(session: Session) -> dt.datetime:
    """The database's clock, as an aware UTC time."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # clock_timestamp(), not now(): now() is frozen at transaction start,
        # which may be long before a lock wait ended.
        value = connection.execute(text("SELECT clock_timestamp()")).scalar_one()
    else:
        value = connection.execute(text("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')")).scalar_one()
    assert isinstance(value, (str, dt.datetime))
    return times.read(value)


def lock_for_update(session: Session, name: str) -> Lease:
    """The lease row `name` (created, expired and held by nobody, if missing), locked until commit."""
    # Each dialect's insert is imported on the backend that uses it: SQLAlchemy's
    # PostgreSQL dialect costs a daemon on SQLite 2.4 MB resident (issue 13).
    if session.connection().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        statement: UpdateBase = pg_insert(Lease).values(**_UNHELD, name=name).on_conflict_do_nothing(
            index_elements=["name"])
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(Lease).values(**_UNHELD, name=name).on_conflict_do_nothing(
            index_elements=["name"])
    session.exec(statement)
    return session.exec(select(Lease).where(Lease.name == name).with_for_update()).one()


def save(session: Session, row: Lease) -> None:
    session.add(row)


def expire_now(session: Session, name: str, holder: str) -> None:
    """End `holder`'s lease `name` at the database's now (nothing if someone else holds it)."""
    session.exec(
        update(Lease)
        .where(col(Lease.name) == name, col(Lease.holder) == holder)
        .values(expires_at=db_now(session))
    )


def share_locked(session: Session, name: str) -> Lease | None:
    """The lease row `name` under a share lock held to commit: it cannot change hands meanwhile."""
    return session.exec(select(Lease).where(Lease.name == name).with_for_update(read=True)).first()


def live_holder(engine: Engine, name: str) -> tuple[str, int] | None:
    """(holder, epoch) of lease `name` while it is live, whoever holds it."""
    with read_session(engine) as session:
        row = session.get(Lease, name)
        if row is None or row.expires_at <= db_now(session):
            return None
        return row.holder, row.epoch
