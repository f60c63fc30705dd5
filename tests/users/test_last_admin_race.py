"""Rule 5 under concurrency: two Account Admins take the Admin role away from each other
at the same moment; exactly one request succeeds and the account keeps one active Admin.

Each request runs in its own thread and its own transaction; a barrier releases them
together. The race is repeated on fresh accounts for confidence. PostgreSQL relies on
the account row lock (`mark_changed`), SQLite on the write lock that BEGIN IMMEDIATE
takes up front. The HTTP race has one variant per database, each skipped unless the
session's database is of its kind; the service-level race runs on both.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from spacegate.audit.models import AuditEvent
from spacegate.authz import AccountIndex
from spacegate.db import transaction
from spacegate.errors import DomainError
from spacegate.grants.context import Access, Caller
from spacegate.grants.loader import load_index
from spacegate.runtime import Runtime
from spacegate.users import service
from spacegate.users.models import User, UserStatus
from tests.conftest import POSTGRES_URL
from tests.factories import Person, new_account, new_user

ROUNDS = 10
USERS = "/api/accounts/users"
T = TypeVar("T")

HTTP_RACES = [
    pytest.param(
        "PUT", USERS + "/{email}/account_role?value=Member", "user.account_role", id="demote"
    ),
    pytest.param(
        "PUT", USERS + "/{email}/status?value=inactive", "user.deactivate", id="deactivate"
    ),
    pytest.param("DELETE", USERS + "/{email}", "user.remove", id="remove"),
]

Change = Callable[[Session, Access, str], object]
SERVICE_RACES: dict[str, tuple[Change, str]] = {
    "demote": (
        lambda session, access, email: service.set_account_role(session, access, email, "Member"),
        "user.account_role",
    ),
    "deactivate": (
        lambda session, access, email: service.set_status(
            session, access, email, UserStatus.INACTIVE
        ),
        "user.deactivate",
    ),
    "remove": (service.remove_user, "user.remove"),
}


def _two_admins(runtime: Runtime, round_: int) -> tuple[Person, Person]:
    first = new_account(runtime, name=f"race{round_}", admin="first@example.com")
    second = new_user(runtime, first.account_id, "second@example.com", account_role="Admin")
    return first, second


def _at_once(act: Callable[[Person, Person], T], first: Person, second: Person) -> list[T]:
    """`act(first, second)` and `act(second, first)` in two threads released together."""
    barrier = threading.Barrier(2, timeout=10)

    def run(caller: Person, target: Person) -> T:
        barrier.wait()
        return act(caller, target)

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(run, first, second), pool.submit(run, second, first)]
        return [future.result(timeout=60) for future in futures]


def _active_admins_and_events(runtime: Runtime, account_id: int, action: str) -> tuple[int, int]:
    with transaction(runtime.sessions, write=False) as session:
        admins = session.scalar(
            select(func.count())
            .select_from(User)
            .where(
                User.account_id == account_id,
                User.account_role == "Admin",
                User.status == UserStatus.ACTIVE.value,
            )
        )
        events = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.account_id == account_id, AuditEvent.action == action)
        )
    return admins or 0, events or 0


def _service_call(
    runtime: Runtime, change: Change, index: AccountIndex
) -> Callable[[Person, Person], str]:
    """`change` in its own transaction by `caller`, authorised with `index`; the name of
    the domain error it raised, or "ok"."""

    def act(caller: Person, target: Person) -> str:
        access = Access(
            Caller(caller.user_id, caller.account_id, "race", caller.email, 0, "api"), index
        )
        try:
            with transaction(runtime.sessions) as session:
                change(session, access, target.email)
        except DomainError as error:
            return error.name
        return "ok"

    return act


def _http_race(client: TestClient, runtime: Runtime, method: str, path: str, action: str) -> None:
    def act(caller: Person, target: Person) -> tuple[int, str]:
        response = client.request(method, path.format(email=target.email), headers=caller.headers)
        return response.status_code, response.text

    for round_ in range(ROUNDS):
        first, second = _two_admins(runtime, round_)
        answers = _at_once(act, first, second)

        won = [status for status, _text in answers if status in (200, 204)]
        assert len(won) == 1, f"round {round_}: {answers}"
        # The loser is refused whichever way it meets the winner's change: 409 when its
        # guard ran before the winner committed, 403 when it no longer holds the Admin
        # role, 401 when the winner already ended its tokens (deactivate, remove).
        [(lost, text)] = [answer for answer in answers if answer[0] not in (200, 204)]
        expected = {409: "LastAccountAdmin", 403: "Forbidden", 401: "Unauthorized"}
        assert lost in expected, f"round {round_}: {answers}"
        assert json.loads(text)["errors"][0]["name"] == expected[lost]
        assert _active_admins_and_events(runtime, first.account_id, action) == (1, 1), (
            f"round {round_}: {answers}"
        )


@pytest.mark.postgres
@pytest.mark.skipif(
    not POSTGRES_URL,
    reason="needs PostgreSQL: set SPACEGATE_TEST_DATABASE_URL (the SQLite variant runs instead)",
)
@pytest.mark.parametrize(("method", "path", "action"), HTTP_RACES)
def test_two_admins_racing_over_http_on_postgresql_leave_exactly_one(
    client: TestClient, runtime: Runtime, method: str, path: str, action: str
) -> None:
    _http_race(client, runtime, method, path, action)


@pytest.mark.skipif(
    bool(POSTGRES_URL),
    reason="the session database is PostgreSQL; this SQLite variant runs without "
    "SPACEGATE_TEST_DATABASE_URL",
)
@pytest.mark.parametrize(("method", "path", "action"), HTTP_RACES)
def test_two_admins_racing_over_http_on_sqlite_leave_exactly_one(
    client: TestClient, runtime: Runtime, method: str, path: str, action: str
) -> None:
    _http_race(client, runtime, method, path, action)


@pytest.mark.parametrize("race", list(SERVICE_RACES))
def test_two_admins_racing_in_the_service_leave_exactly_one(runtime: Runtime, race: str) -> None:
    """Both callers were authorised as Admins before either change (the guard's view),
    so only the last-admin rule and its lock stand between them and an account without
    an Admin: the loser must get LastAccountAdmin (409), on either database. (The grant
    index a process keeps is updated in place by each change; the callers here decide
    with an index read before the race, as a request that authorised first would.)"""
    change, action = SERVICE_RACES[race]
    for round_ in range(ROUNDS):
        first, second = _two_admins(runtime, round_)
        with transaction(runtime.sessions, write=False) as session:
            _version, index = load_index(session, first.account_id)

        act = _service_call(runtime, change, index)
        outcomes = sorted(_at_once(act, first, second))

        assert outcomes == ["LastAccountAdmin", "ok"], f"round {round_}: {outcomes}"
        assert _active_admins_and_events(runtime, first.account_id, action) == (1, 1)
