"""The account's audit log (`GET /api/audit`): filters, time range, cursor pagination."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update

from spacegate.audit.models import AuditEvent
from spacegate.db import transaction
from spacegate.pagination import encode_cursor
from spacegate.runtime import Runtime
from tests.factories import Person, new_account, new_user
from tests.module_app import app_client, module_runtime

AUDIT = "/api/audit"


@dataclass(frozen=True)
class World:
    client: TestClient
    runtime: Runtime
    history: dict[str, Person]


@pytest.fixture(scope="module")
def world(
    engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """One history for the whole module: reading it changes nothing, and the one test
    that adds events adds them to the other account's log."""
    data_dir = tmp_path_factory.mktemp("audit")
    with (
        module_runtime(engine, database_url, data_dir) as runtime,
        app_client(runtime) as client,
    ):
        yield World(client, runtime, make_history(client, runtime))


# This module's tests share the world above: these override conftest's per-test
# fixtures of the same names (whose runtime would empty the database).
@pytest.fixture
def runtime(world: World) -> Runtime:
    return world.runtime


@pytest.fixture
def client(world: World) -> TestClient:
    return world.client


@pytest.fixture
def history(world: World) -> dict[str, Person]:
    return world.history


def make_history(client: TestClient, runtime: Runtime) -> dict[str, Person]:
    """Two admins make a few changes; another account makes its own."""
    admin = new_account(runtime)
    second = new_user(runtime, admin.account_id, "second@example.com", account_role="Admin")
    member = new_user(runtime, admin.account_id, "member@example.com")
    for name in ("alpha", "beta", "gamma"):
        created = client.post("/api/spaces", json={"name": name}, headers=admin.headers)
        assert created.status_code == 201, created.text
    renamed = client.put("/api/spaces/gamma", json={"name": "delta"}, headers=second.headers)
    assert renamed.status_code == 200, renamed.text
    added = client.post(
        "/api/accounts/users", json={"email": "new@example.com"}, headers=second.headers
    )
    assert added.status_code == 201, added.text
    outsider = new_account(runtime, "globex", "boss@globex.example")
    assert (
        client.post("/api/spaces", json={"name": "alpha"}, headers=outsider.headers).status_code
        == 201
    )
    # Move the creation of alpha, beta and gamma into the past, a day apart.
    for day, target in enumerate(("alpha", "beta", "gamma"), start=1):
        with transaction(runtime.sessions) as session:
            session.execute(
                update(AuditEvent)
                .where(AuditEvent.target == target)
                .values(created_at=datetime(2020, 1, day, tzinfo=UTC))
            )
    return {"admin": admin, "second": second, "member": member, "outsider": outsider}


def events(client: TestClient, caller: Person, **params: Any) -> list[dict[str, Any]]:
    response = client.get(AUDIT, params=params, headers=caller.headers)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def test_the_log_holds_this_accounts_events_newest_first(
    client: TestClient, history: dict[str, Person]
) -> None:
    found = events(client, history["admin"])
    ids = [event["id"] for event in found]
    assert ids == sorted(ids, reverse=True)
    assert "boss@globex.example" not in {event["actor"] for event in found}
    spaces = [(e["action"], e["target"]) for e in found if e["target_type"] == "space"]
    assert spaces == [
        ("space.update", "delta"),
        ("space.create", "gamma"),
        ("space.create", "beta"),
        ("space.create", "alpha"),
    ]
    update_event = found[[e["action"] for e in found].index("space.update")]
    assert update_event["before"]["name"] == "gamma"
    assert update_event["after"]["name"] == "delta"
    assert set(update_event) >= {"time", "actor", "client_address"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"actor": "second@example.com"},
            {("space.update", "delta"), ("user.add", "new@example.com")},
        ),
        (
            {"actor": "SECOND@example.com"},
            {("space.update", "delta"), ("user.add", "new@example.com")},
        ),
        ({"actor": "member@example.com"}, set()),
        ({"target": "alpha"}, {("space.create", "alpha")}),
        ({"target": "nothing"}, set()),
        (
            {"action": "space.create"},
            {("space.create", "alpha"), ("space.create", "beta"), ("space.create", "gamma")},
        ),
        ({"action": "space.create", "target": "beta"}, {("space.create", "beta")}),
        ({"action": "user.add", "actor": "admin@example.com"}, set()),
    ],
)
def test_filters(
    client: TestClient,
    history: dict[str, Person],
    params: dict[str, str],
    expected: set[tuple[str, str]],
) -> None:
    found = events(client, history["admin"], **params)
    assert {(event["action"], event["target"]) for event in found} == expected


# alpha, beta and gamma were created on 2020-01-01, -02 and -03; the rest happened now.
@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        ("2020-01-01T00:00:00Z", "2020-01-03T00:00:00Z", {"alpha", "beta"}),
        ("2020-01-02T00:00:00Z", "2020-01-03T00:00:00Z", {"beta"}),  # from is inclusive
        ("2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z", {"alpha"}),  # to is exclusive
        ("2020-01-01T00:00:00", "2020-01-02T00:00:00", {"alpha"}),  # no zone: UTC
        ("2020-01-01T01:00:00+01:00", "2020-01-02T01:00:00+01:00", {"alpha"}),
        ("2020-01-02T12:00:00Z", None, {"gamma", "acme", "delta", "new@example.com"}),
        (None, "2020-01-02T12:00:00Z", {"alpha", "beta"}),
        (None, "2020-01-01T00:00:00Z", set()),
    ],
)
def test_time_range(
    client: TestClient,
    history: dict[str, Person],
    since: str | None,
    until: str | None,
    expected: set[str],
) -> None:
    params = {key: value for key, value in (("from", since), ("to", until)) if value}
    found = events(client, history["admin"], **params)
    assert {event["target"] for event in found} == expected


def test_pagination_walks_every_event_once(client: TestClient, history: dict[str, Person]) -> None:
    everything = [event["id"] for event in events(client, history["admin"])]
    assert len(everything) >= 5
    seen: list[int] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        response = client.get(AUDIT, params=params, headers=history["admin"].headers)
        assert response.status_code == 200, response.text
        page = [event["id"] for event in response.json()]
        assert len(page) <= 2
        seen += page
        pages += 1
        cursor = response.headers.get("X-Next-Cursor")
        if cursor is None:
            break
        assert len(page) == 2
    assert seen == everything
    assert pages >= 3


def test_pagination_is_stable_while_events_are_added(
    client: TestClient, history: dict[str, Person]
) -> None:
    outsider = history["outsider"]  # its own log: the other tests do not read it
    first = client.get(AUDIT, params={"limit": 1}, headers=outsider.headers)
    cursor = first.headers["X-Next-Cursor"]
    added = client.post("/api/spaces", json={"name": "later"}, headers=outsider.headers)
    assert added.status_code == 201, added.text
    second = client.get(AUDIT, params={"limit": 1, "cursor": cursor}, headers=outsider.headers)
    [newest_first_page] = first.json()
    assert [event["target"] for event in second.json()] == ["globex"]
    assert second.json()[0]["id"] < newest_first_page["id"]
    assert newest_first_page["target"] == "alpha"


def test_filters_and_pagination_combine(client: TestClient, history: dict[str, Person]) -> None:
    admin = history["admin"]
    first = client.get(AUDIT, params={"action": "space.create", "limit": 2}, headers=admin.headers)
    assert [event["target"] for event in first.json()] == ["gamma", "beta"]
    cursor = first.headers["X-Next-Cursor"]
    rest = client.get(
        AUDIT,
        params={"action": "space.create", "limit": 2, "cursor": cursor},
        headers=admin.headers,
    )
    assert [event["target"] for event in rest.json()] == ["alpha"]
    assert "X-Next-Cursor" not in rest.headers


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "not a cursor!"},
        {"limit": 0},
        {"limit": 501},
        {"from": "yesterday"},
        {"to": "2020-13-01"},
        {"cursor": encode_cursor(10**24)},  # beyond any id
        {"cursor": encode_cursor(-1)},
    ],
)
def test_bad_parameters_answer_422(
    client: TestClient, history: dict[str, Person], params: dict[str, Any]
) -> None:
    response = client.get(AUDIT, params=params, headers=history["admin"].headers)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["name"] == "InvalidInput"


@pytest.mark.parametrize(("who", "status"), [("admin", 200), ("member", 403), (None, 401)])
def test_the_log_needs_access_administration(
    client: TestClient, history: dict[str, Person], who: str | None, status: int
) -> None:
    headers = history[who].headers if who else {}
    assert client.get(AUDIT, headers=headers).status_code == status
