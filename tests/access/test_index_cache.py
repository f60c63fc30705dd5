"""The per-account index cache: checks do no I/O, a change is visible to the next request
of the same process, and other processes pick it up within a second."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from spacegate.app import create_app
from spacegate.authz import CATALOG, Level, Permission
from spacegate.db import transaction
from spacegate.grants import cache as grants_cache
from spacegate.grants.cache import IndexCache, mark_changed
from spacegate.runtime import Runtime
from tests.factories import (
    Person,
    add_member,
    new_account,
    new_custom_role,
    new_space,
    new_user,
    request_access,
)

P = Permission
DEADLINE_SECONDS = 1.0


@pytest.fixture
def team(runtime: Runtime) -> dict[str, Any]:
    admin = new_account(runtime)
    bob = new_user(runtime, admin.account_id, "bob@example.com")
    dev = new_space(runtime, admin.account_id, "dev")
    add_member(runtime, dev, bob.user_id, "Space Member")
    return {"admin": admin, "bob": bob, "dev": dev}


class StatementCounter:
    """Counts the SQL statements this thread sends through an engine."""

    def __init__(self) -> None:
        self.count = 0
        self._thread = threading.get_ident()

    def __call__(self, *_args: Any) -> None:
        if threading.get_ident() == self._thread:
            self.count += 1


def test_a_check_makes_no_database_query(runtime: Runtime, team: dict[str, Any]) -> None:
    admin, bob, dev = team["admin"], team["bob"], team["dev"]
    with runtime.sessions() as session:
        index = runtime.authz.get(session, admin.account_id)  # warm
        counter = StatementCounter()
        event.listen(runtime.engine, "before_cursor_execute", counter)
        try:
            decisions = 0
            for _ in range(200):
                for spec in CATALOG:
                    for user in (admin.user_id, bob.user_id, 999_999):
                        for space in (None, dev, dev + 1000):
                            request_access(index, user).has(spec.id, space)
                            decisions += 1
                # The cache lookup itself, once warm, is no query either.
                assert runtime.authz.get(session, admin.account_id) is index
        finally:
            event.remove(runtime.engine, "before_cursor_execute", counter)
    assert decisions > 10_000
    assert counter.count == 0


def test_the_statement_counter_does_count(runtime: Runtime, team: dict[str, Any]) -> None:
    """The counter above would see a query: a cold cache load makes several."""
    counter = StatementCounter()
    event.listen(runtime.engine, "before_cursor_execute", counter)
    try:
        runtime.authz.invalidate()
        with runtime.sessions() as session:
            runtime.authz.get(session, team["admin"].account_id)
    finally:
        event.remove(runtime.engine, "before_cursor_execute", counter)
    assert counter.count > 0


def test_the_index_is_built_once_and_reused(runtime: Runtime, team: dict[str, Any]) -> None:
    account = team["admin"].account_id
    with runtime.sessions() as session:
        first = runtime.authz.get(session, account)
        loads = runtime.authz.loads
        assert runtime.authz.get(session, account) is first
    assert runtime.authz.loads == loads


# -- read-your-writes, in one process ----------------------------------------------------


def space_permissions(client: TestClient, person: Person, space: str = "dev") -> set[str]:
    """The caller's permissions in `space`, as `/api/me` reports them (none: not seen)."""
    response = client.get("/api/me", headers=person.headers)
    assert response.status_code == 200, response.text
    for entry in response.json()["spaces"]:
        if entry["space_name"] == space:
            return set(entry["permissions"])
    return set()


def check(client: TestClient, caller: Person, body: dict[str, Any]) -> bool:
    response = client.post("/api/authz/check", json=body, headers=caller.headers)
    assert response.status_code == 200, response.text
    allowed = response.json()["allowed"]
    assert isinstance(allowed, bool)
    return allowed


@pytest.fixture
def quiet_client(client: TestClient, runtime: Runtime) -> TestClient:
    """The app with its poller stopped: only in-process invalidation can refresh it."""
    runtime.authz.stop()
    return client


def test_a_space_role_change_is_seen_by_the_next_request(
    quiet_client: TestClient, team: dict[str, Any]
) -> None:
    admin, bob = team["admin"], team["bob"]
    assert "PUBLISH_BLUEPRINTS" not in space_permissions(quiet_client, bob)
    changed = quiet_client.put(
        "/api/spaces/dev/users/bob@example.com/space_role",
        params={"value": "Space Admin"},
        headers=admin.headers,
    )
    assert changed.status_code == 200, changed.text
    assert "PUBLISH_BLUEPRINTS" in space_permissions(quiet_client, bob)


def test_an_account_role_change_is_seen_by_the_next_request(
    quiet_client: TestClient, team: dict[str, Any]
) -> None:
    admin, bob = team["admin"], team["bob"]
    create = {"name": "qa"}
    assert quiet_client.post("/api/spaces", json=create, headers=bob.headers).status_code == 403
    changed = quiet_client.put(
        "/api/accounts/users/bob@example.com/account_role",
        params={"value": "Admin"},
        headers=admin.headers,
    )
    assert changed.status_code == 200, changed.text
    assert quiet_client.post("/api/spaces", json=create, headers=bob.headers).status_code == 201
    # ... and the new space is known to the decision API at once.
    query = {"email": "bob@example.com", "permission": "VIEW_SPACE", "space_name": "qa"}
    assert check(quiet_client, bob, query)


def test_a_custom_role_edit_is_seen_by_the_next_request(
    quiet_client: TestClient, runtime: Runtime, team: dict[str, Any]
) -> None:
    admin, bob = team["admin"], team["bob"]
    new_custom_role(runtime, admin.account_id, "Coster", Level.SPACE, [P.VIEW_COST_DATA])
    add_member(runtime, new_space(runtime, admin.account_id, "ops"), bob.user_id, "Coster")
    assert space_permissions(quiet_client, bob, "ops") == {"VIEW_COST_DATA"}
    edited = quiet_client.put(
        "/api/settings/roles/Coster",
        json={"permissions": ["VIEW_COST_DATA", "VIEW_SPACE"]},
        headers=admin.headers,
    )
    assert edited.status_code == 200, edited.text
    assert space_permissions(quiet_client, bob, "ops") == {"VIEW_COST_DATA", "VIEW_SPACE"}


def test_deactivation_is_seen_by_the_next_request(
    quiet_client: TestClient, team: dict[str, Any]
) -> None:
    admin = team["admin"]
    query = {"email": "bob@example.com", "permission": "LAUNCH_SANDBOXES", "space_name": "dev"}
    assert check(quiet_client, admin, query)
    changed = quiet_client.put(
        "/api/accounts/users/bob@example.com/status",
        params={"value": "inactive"},
        headers=admin.headers,
    )
    assert changed.status_code == 200, changed.text
    assert not check(quiet_client, admin, query)


def test_a_rolled_back_change_does_not_drop_the_index(
    runtime: Runtime, team: dict[str, Any]
) -> None:
    account = team["admin"].account_id
    with runtime.sessions() as session:
        warm = runtime.authz.get(session, account)
    with pytest.raises(RuntimeError), transaction(runtime.sessions) as session:
        mark_changed(session, account)
        raise RuntimeError("abandon the change")
    with runtime.sessions() as session:
        assert runtime.authz.get(session, account) is warm


# -- across processes ------------------------------------------------------------------


@pytest.fixture
def other_process(runtime: Runtime) -> Iterator[Runtime]:
    """A second installation process on the same database: its own engine, sessions and
    index cache, with its poller running (as `create_app`'s lifespan would start it)."""
    other = Runtime.start(runtime.settings, migrate=False)
    assert other.settings.authz_poll_seconds == 0.05
    other.authz.start()
    yield other
    other.close()


def eventually(condition: Callable[[], bool]) -> float:
    """Seconds until `condition` held; fails when it does not hold within the deadline."""
    start = time.monotonic()
    while not condition():
        elapsed = time.monotonic() - start
        assert elapsed < DEADLINE_SECONDS, f"not seen within {DEADLINE_SECONDS} s"
        time.sleep(0.01)
    return time.monotonic() - start


def decide(process: Runtime, account: int, user: int, permission: Permission, space: int) -> bool:
    with process.sessions() as session:
        index = process.authz.get(session, account)
        return request_access(index, user).has(permission, space)


def test_another_process_sees_a_change_made_through_the_api_within_a_second(
    client: TestClient, runtime: Runtime, other_process: Runtime, team: dict[str, Any]
) -> None:
    admin, bob = team["admin"], team["bob"]
    query = {"email": "bob@example.com", "permission": "PUBLISH_BLUEPRINTS", "space_name": "dev"}
    with TestClient(create_app(runtime=other_process), raise_server_exceptions=False) as other:
        assert not check(client, admin, query)
        assert not check(other, admin, query)  # both warm, both deny
        loads = other_process.authz.loads
        assert not check(other, admin, query)
        assert other_process.authz.loads == loads, "the other process must answer from cache"

        changed = client.put(
            "/api/spaces/dev/users/bob@example.com/space_role",
            params={"value": "Space Admin"},
            headers=admin.headers,
        )
        assert changed.status_code == 200, changed.text
        assert check(client, bob, query)  # this process: at once
        eventually(lambda: check(other, admin, query))


def test_another_process_sees_a_change_made_through_the_service_within_a_second(
    runtime: Runtime, other_process: Runtime, team: dict[str, Any]
) -> None:
    account, bob, dev = team["admin"].account_id, team["bob"], team["dev"]
    here = (account, bob.user_id, P.MANAGE_SPACE_POLICIES, dev)
    assert not decide(runtime, *here)
    assert not decide(other_process, *here)

    new_custom_role(runtime, account, "Policy Keeper", Level.SPACE, [P.MANAGE_SPACE_POLICIES])
    extra = new_space(runtime, account, "extra")
    add_member(runtime, extra, bob.user_id, "Policy Keeper")
    there = (account, bob.user_id, P.MANAGE_SPACE_POLICIES, extra)
    assert decide(runtime, *there)
    eventually(lambda: decide(other_process, *there))
    assert not decide(other_process, *here)


def test_the_poller_keeps_an_index_whose_version_did_not_change(
    runtime: Runtime, other_process: Runtime, team: dict[str, Any]
) -> None:
    account = team["admin"].account_id
    with other_process.sessions() as session:
        warm = other_process.authz.get(session, account)
    other_process.authz.poll_once()
    with other_process.sessions() as session:
        assert other_process.authz.get(session, account) is warm


class FailingSessions(sessionmaker[Session]):
    """A session factory whose database is away."""

    calls = 0

    def __call__(self, **_kwargs: Any) -> Session:
        self.calls += 1
        raise ConnectionError("the database is away")


def test_the_poller_survives_a_database_failure() -> None:
    """A poll that fails is logged and retried, not the end of the poller."""
    sessions = FailingSessions()
    cache = IndexCache(sessions, poll_seconds=0.01)
    cache.start()
    try:
        eventually(lambda: sessions.calls >= 3)
    finally:
        cache.stop()


def test_a_token_revoked_in_one_process_is_refused_by_another(
    client: TestClient, runtime: Runtime, other_process: Runtime, team: dict[str, Any]
) -> None:
    """Callers are cached like grants, and dropped by the same notification (PostgreSQL)
    or version poll (SQLite)."""
    admin = team["admin"]
    made = client.post("/api/token/longtoken", json={"name": "ci"}, headers=admin.headers)
    token, token_id = made.json()["access_token"], made.json()["id"]
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(runtime=other_process), raise_server_exceptions=False) as other:
        assert other.get("/api/me", headers=headers).status_code == 200  # cached there
        revoked = client.delete(f"/api/tokens/{token_id}", headers=admin.headers)
        assert revoked.status_code == 204
        assert client.get("/api/me", headers=headers).status_code == 401  # here: at once
        eventually(lambda: other.get("/api/me", headers=headers).status_code == 401)


def test_a_deactivated_user_is_refused_by_another_process(
    client: TestClient, runtime: Runtime, other_process: Runtime, team: dict[str, Any]
) -> None:
    admin, bob = team["admin"], team["bob"]
    with TestClient(create_app(runtime=other_process), raise_server_exceptions=False) as other:
        assert other.get("/api/me", headers=bob.headers).status_code == 200
        changed = client.put(
            "/api/accounts/users/bob@example.com/status",
            params={"value": "inactive"},
            headers=admin.headers,
        )
        assert changed.status_code == 200, changed.text
        eventually(lambda: other.get("/api/me", headers=bob.headers).status_code == 401)


def test_a_large_index_is_moved_out_of_the_cyclic_collectors_sight(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = new_account(runtime)
    cache = IndexCache(runtime.sessions, poll_seconds=60)
    monkeypatch.setattr(grants_cache, "FREEZE_AFTER_USERS", 2)
    gc.unfreeze()
    try:
        with runtime.sessions() as session:
            cache.get(session, admin.account_id)  # one user: below the bar
        assert gc.get_freeze_count() == 0
        new_user(runtime, admin.account_id, "bob@example.com")
        cache.invalidate({admin.account_id})
        with runtime.sessions() as session:
            cache.get(session, admin.account_id)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
