"""What must follow the real commit runs after the outer commit, never when a savepoint
(`begin_nested`) is released: SQLAlchemy's own `after_commit` fires at both."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from spacegate.accounts.models import Account
from spacegate.db import after_outer_commit, notify_after_commit, subscribe, transaction
from spacegate.grants.cache import mark_changed
from spacegate.runtime import Runtime
from tests.factories import new_account


def test_a_savepoint_release_runs_nothing_and_the_outer_commit_runs_everything(
    runtime: Runtime,
) -> None:
    ran: list[str] = []
    with transaction(runtime.sessions) as session:
        after_outer_commit(session, lambda: ran.append("outer"))
        with session.begin_nested():
            after_outer_commit(session, lambda: ran.append("inside a savepoint"))
        assert ran == []  # the savepoint was released; the transaction is still open
    assert ran == ["outer", "inside a savepoint"]


def test_a_rollback_drops_the_callbacks(runtime: Runtime) -> None:
    ran: list[str] = []
    with pytest.raises(RuntimeError), transaction(runtime.sessions) as session:
        after_outer_commit(session, lambda: ran.append("never"))
        raise RuntimeError("the request failed")
    with transaction(runtime.sessions) as session:
        session.scalar(select(Account.id))
    assert ran == []


def test_a_rolled_back_savepoint_keeps_the_outer_transactions_callbacks(
    runtime: Runtime,
) -> None:
    ran: list[str] = []
    with transaction(runtime.sessions) as session:
        after_outer_commit(session, lambda: ran.append("outer"))
        savepoint = session.begin_nested()
        savepoint.rollback()
        assert ran == []
    assert ran == ["outer"]


def test_a_failing_callback_does_not_stop_the_others(runtime: Runtime) -> None:
    ran: list[str] = []

    def fail() -> None:
        raise ValueError("broken listener")

    with transaction(runtime.sessions) as session:
        after_outer_commit(session, fail)
        after_outer_commit(session, lambda: ran.append("second"))
    assert ran == ["second"]


def test_subscribers_hear_of_a_topic_only_after_the_outer_commit(runtime: Runtime) -> None:
    heard: list[Any] = []
    subscribe(runtime.sessions, "test-topic", heard.append)
    with transaction(runtime.sessions) as session:
        with session.begin_nested():
            notify_after_commit(session, "test-topic", 42)
        notify_after_commit(session, "other-topic", 7)
        assert heard == []
    assert heard == [42]


def test_the_grant_cache_is_not_cleared_by_a_savepoint(runtime: Runtime) -> None:
    """Dropping the index at the savepoint would let a concurrent request rebuild it from
    the data as it was before the change commits, and keep that stale index."""
    admin = new_account(runtime)
    with runtime.sessions() as session:
        cached = runtime.authz.get(session, admin.account_id)
    with transaction(runtime.sessions) as session:
        with session.begin_nested():
            mark_changed(session, admin.account_id)
        with runtime.sessions() as other:
            assert runtime.authz.get(other, admin.account_id) is cached
    with runtime.sessions() as session:
        assert runtime.authz.get(session, admin.account_id) is not cached
