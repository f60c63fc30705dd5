"""Talking to an identity provider from a request that holds a database transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from spacegate.db import is_sqlite


@contextmanager
def outside_transaction(session: Session) -> Iterator[None]:
    """Commit what the request did so far (its guard's reads), so that no transaction,
    lock or SQLite write lock is held while the identity provider is asked; the request
    goes on in a new transaction afterwards, a writer's again on SQLite."""
    session.commit()
    yield
    if is_sqlite(session.get_bind()):  # type: ignore[arg-type]
        session.connection(execution_options={"sqlite_immediate": True})
