"""Engine, sessions and the transaction scope shared by the API and the CLI.

Services only `flush`; the scope around a request or a command commits on success and
rolls back on any error, so a failed request leaves nothing half-written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, TypeDecorator, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both SQLite (which drops the zone) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str) -> Engine:
    """An engine for `url`. SQLite gets WAL, foreign keys, a busy timeout, and write
    transactions that take the write lock up front (see `write_session`)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling is switched off so that BEGIN is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A write transaction takes SQLite's write lock before its first read, so two
        # writers are serialised instead of failing on a stale snapshot; this is what
        # keeps the last-admin rule true under concurrency on SQLite.
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose outer commits run `after_outer_commit` callbacks (and so notify
    the factory's subscribers, see `subscribe`)."""
    factory = sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)
    event.listen(factory, "after_commit", _run_after_outer_commit)
    event.listen(factory, "after_rollback", _drop_after_outer_commit)
    return factory


# -- after the real commit ---------------------------------------------------------------

_AFTER_OUTER_COMMIT = "spacegate.after_outer_commit"


def after_outer_commit(session: Session, fn: Callable[[], object]) -> None:
    """Run `fn` once the session's outermost transaction has committed.

    SQLAlchemy's `after_commit` also fires when a savepoint (`begin_nested`) is released,
    while the outer transaction, its locks and its uncommitted rows are still open. What
    must follow the real commit (dropping cached grants, waking a worker for a queued
    message, writing a token's last use in a transaction of its own) hangs off this hook
    instead: it ignores savepoint releases, and a rollback of the outer transaction drops
    the callbacks with it. Callbacks run in the order they were added; one that fails is
    logged and does not stop the others (the data is committed by then).
    """
    session.info.setdefault(_AFTER_OUTER_COMMIT, []).append(fn)


_SUBSCRIBERS = "spacegate.subscribers"


def subscribe(factory: sessionmaker[Session], topic: str, fn: Callable[[Any], object]) -> None:
    """Call `fn(payload)` after the outer commit of any transaction of `factory`'s
    sessions that `notify_after_commit`-ed `topic` (e.g. grants changed, mail queued)."""
    # Kept in the factory's `info`, which every session it opens from now on copies
    # shallowly: all of them share this one dict of subscribers.
    info: dict[str, Any] = factory.kw.setdefault("info", {})
    subscribers: dict[str, list[Callable[[Any], object]]] = info.setdefault(_SUBSCRIBERS, {})
    subscribers.setdefault(topic, []).append(fn)


def notify_after_commit(session: Session, topic: str, payload: Any = None) -> None:
    """Tell `topic`'s subscribers about `payload` once this transaction has committed
    (never if it rolls back). Services use this to say "what I changed" without knowing
    who listens: caches, workers."""
    subscribers: dict[str, list[Callable[[Any], object]]] = session.info.get(_SUBSCRIBERS, {})
    for fn in subscribers.get(topic, ()):
        after_outer_commit(session, partial(fn, payload))


def _is_savepoint(session: Session) -> bool:
    # While a savepoint's commit or rollback events run, it is still the session's
    # nested transaction; at the outer transaction's, there is none.
    return session.in_nested_transaction()


def _run_after_outer_commit(session: Session) -> None:
    if _is_savepoint(session):
        return
    for fn in session.info.pop(_AFTER_OUTER_COMMIT, ()):
        try:
            fn()
        except Exception:
            log.exception("a callback after the commit failed")


def _drop_after_outer_commit(session: Session) -> None:
    if not _is_savepoint(session):
        session.info.pop(_AFTER_OUTER_COMMIT, None)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def transaction(factory: sessionmaker[Session], *, write: bool = True) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception."""
    session = factory()
    try:
        if write and is_sqlite(session.get_bind()):  # type: ignore[arg-type]
            session.connection(execution_options={"sqlite_immediate": True})
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
