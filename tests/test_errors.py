"""Bad input never makes a 500 nor leaks a stack trace: every failure answers
`{"errors": [{"name", "message"}]}` with the status its kind carries."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import Engine

from spacegate.runtime import Runtime
from tests.factories import Person, add_member, new_account, new_space, new_user
from tests.module_app import app_client, module_runtime

LONG = "x" * 10_000


@dataclass(frozen=True)
class World:
    client: TestClient
    runtime: Runtime
    admin: Person


@pytest.fixture(scope="module")
def world(
    engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """One app and one account for the whole module: every request here fails, so none
    changes what the next one sees, and a fresh database per case would cost more than
    the cases themselves."""
    data_dir = tmp_path_factory.mktemp("errors")
    with module_runtime(engine, database_url, data_dir) as runtime:
        admin = new_account(runtime)
        space = new_space(runtime, admin.account_id, "dev")
        bob = new_user(runtime, admin.account_id, "bob@example.com")
        add_member(runtime, space, bob.user_id, "Space Member")
        with app_client(runtime) as client:
            yield World(client, runtime, admin)


@pytest.fixture
def api(world: World) -> TestClient:
    return world.client


@pytest.fixture
def admin(world: World) -> Person:
    return world.admin


def assert_error_shape(response: Response, status: int, name: str | None = None) -> str:
    """The one error shape, no trace of the server's insides; answers the first message."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"errors"}
    assert body["errors"], "at least one error"
    for error in body["errors"]:
        assert {"name", "message"} <= set(error)
        assert isinstance(error["message"], str) and error["message"].strip()
    if name is not None:
        assert body["errors"][0]["name"] == name
    for leak in ("Traceback", 'File "', "sqlalchemy", "psycopg", "sqlite3", "pydantic_core"):
        assert leak not in response.text
    message: str = body["errors"][0]["message"]
    return message


def test_malformed_json(api: TestClient, admin: Person) -> None:
    response = api.post(
        "/api/spaces",
        content=b'{"name": "dev",',
        headers={**admin.headers, "Content-Type": "application/json"},
    )
    message = assert_error_shape(response, 422, "InvalidInput")
    assert response.json() == {"errors": [{"name": "InvalidInput", "message": message}]}
    assert "JSON" in message


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"", "application/json"),
        (b"null", "application/json"),
        (b"[]", "application/json"),
        (b'"dev"', "application/json"),
        (b"name=dev", "application/x-www-form-urlencoded"),
        (b"name: dev", "text/plain"),
    ],
)
def test_bodies_that_are_not_the_expected_object(
    api: TestClient, admin: Person, content: bytes, content_type: str
) -> None:
    response = api.post(
        "/api/spaces", content=content, headers={**admin.headers, "Content-Type": content_type}
    )
    assert_error_shape(response, 422, "InvalidInput")


# (method, path, body or query, the words the message must hold)
BAD_INPUT: list[tuple[str, str, dict[str, Any], str]] = [
    # wrong types
    ("post", "/api/spaces", {"json": {"name": 123}}, "name"),
    ("post", "/api/spaces", {"json": {"name": ["dev"]}}, "name"),
    ("post", "/api/token/longtoken", {"json": {"expires_in_days": "ten"}}, "expires_in_days"),
    ("post", "/api/authz/check", {"json": {"checks": {"email": "a"}}}, "checks"),
    # missing fields
    ("post", "/api/spaces", {"json": {}}, "'name' is required"),
    ("post", "/api/accounts/users", {"json": {"first_name": "Ann"}}, "'email' is required"),
    ("post", "/api/accounts/acme/login", {"json": {"email": "a@example.com"}}, "password"),
    ("put", "/api/accounts/users/bob@example.com/account_role", {}, "value"),
    # unknown role names
    (
        "put",
        "/api/accounts/users/bob@example.com/account_role",
        {"params": {"value": "Overlord"}},
        "Overlord",
    ),
    (
        "put",
        "/api/accounts/users/bob@example.com/account_role",
        {"params": {"value": "Space Admin"}},
        "space role",
    ),
    (
        "put",
        "/api/spaces/dev/users/bob@example.com/space_role",
        {"params": {"value": "Admin"}},
        "account role",
    ),
    (
        "post",
        "/api/spaces/dev/users",
        {"json": {"email": "admin@example.com", "space_role": "Space Cadet"}},
        "Space Cadet",
    ),
    (
        "post",
        "/api/accounts/users",
        {"json": {"email": "new@example.com", "account_role": "Root"}},
        "Root",
    ),
    # unknown permission ids
    (
        "post",
        "/api/settings/roles",
        {"json": {"name": "R", "level": "space", "permissions": ["FLY"]}},
        "FLY",
    ),
    (
        "post",
        "/api/settings/roles",
        {"json": {"name": "R", "level": "space", "permissions": ["CREATE_SPACES"]}},
        "account permission",
    ),
    ("post", "/api/settings/roles", {"json": {"name": "R", "level": "galaxy"}}, "level"),
    (
        "post",
        "/api/authz/check",
        {"json": {"email": "bob@example.com", "permission": "FLY"}},
        "permission",
    ),
    ("post", "/api/token/longtoken", {"json": {"permissions": ["fly"]}}, "permissions"),
    ("post", "/api/token/longtoken", {"json": {"expires_in_days": 0}}, "expires_in_days"),
    ("post", "/api/token/longtoken", {"json": {"expires_in_days": 3651}}, "expires_in_days"),
    ("post", "/api/token/longtoken", {"json": {"spaces": ["nowhere"]}}, "nowhere"),
    ("post", "/api/token/longtoken", {"json": {"name": "x" * 101}}, "name"),
    # ids that are no ids: not even a 500 where the database cannot hold them
    ("delete", "/api/tokens/0", {}, "token_id"),
    ("delete", "/api/tokens/-1", {}, "token_id"),
    ("delete", "/api/tokens/abc", {}, "token_id"),
    ("delete", "/api/tokens/99999999999999999999999", {}, "token_id"),
    # names and values that do not fit
    ("post", "/api/spaces", {"json": {"name": "s" * 65}}, "at most 64 characters"),
    ("post", "/api/spaces", {"json": {"name": "   "}}, "must not be empty"),
    ("post", "/api/spaces", {"json": {"name": "a/b"}}, "'/'"),
    ("post", "/api/spaces", {"json": {"name": "a\x00b"}}, "control characters"),
    ("post", "/api/spaces", {"json": {"name": "ok", "color": "plaid"}}, "color"),
    ("post", "/api/settings/roles", {"json": {"name": "r" * 65, "level": "space"}}, "64"),
    ("post", "/api/accounts/users", {"json": {"email": "not-an-email"}}, "not a valid email"),
    (
        "post",
        "/api/accounts/users",
        {"json": {"email": "new@example.com", "password": "short"}},
        "at least 10 characters",
    ),
    ("get", "/api/accounts/users", {"params": {"limit": 0}}, "limit"),
    ("get", "/api/accounts/users", {"params": {"limit": "many"}}, "limit"),
    # 10k characters anywhere: a sentence, never a 500
    ("post", "/api/spaces", {"json": {"name": LONG}}, "name"),
    ("post", "/api/spaces", {"json": {"name": "ok", "icon": LONG}}, "icon"),
    ("post", "/api/accounts/users", {"json": {"email": LONG}}, "email"),
    ("post", "/api/accounts/users", {"json": {"email": "a@example.com", "first_name": LONG}}, ""),
    (
        "post",
        "/api/settings/roles",
        {"json": {"name": "R", "level": "space", "description": LONG}},
        "",
    ),
    ("post", "/api/accounts/acme/login", {"json": {"email": LONG, "password": "x"}}, "email"),
    ("post", "/api/accounts/acme/login", {"json": {"email": "a@b.c", "password": LONG}}, ""),
    ("post", f"/api/accounts/{LONG}/login", {"json": {"email": "a@b.c", "password": "x"}}, ""),
    ("post", "/api/token/refresh", {"json": {"refresh_token": LONG}}, "refresh_token"),
    ("post", "/api/authz/check", {"json": {"email": LONG, "permission": "VIEW_SPACE"}}, "email"),
    (
        "post",
        "/api/authz/check",
        {"json": {"email": "bob@example.com", "permission": "VIEW_SPACE", "space_name": LONG}},
        "space_name",
    ),
    ("get", f"/api/spaces/{LONG}", {}, ""),
    ("get", f"/api/accounts/users/{LONG}", {}, ""),
    ("get", "/api/accounts/users", {"params": {"q": LONG}}, "q"),
    ("put", "/api/accounts/users/bob@example.com/account_role", {"params": {"value": LONG}}, ""),
    ("get", "/api/audit", {"params": {"actor": LONG}}, "actor"),
    ("get", "/api/audit", {"params": {"cursor": LONG}}, "cursor"),
    ("post", "/api/setup", {"json": {"token": LONG}}, ""),
]


def test_a_body_that_is_not_utf8(api: TestClient, admin: Person) -> None:
    response = api.post(
        "/api/spaces",
        content=b"\xff\xfe\x00{",
        headers={**admin.headers, "Content-Type": "application/json"},
    )
    assert response.status_code in (400, 422), response.text
    assert_error_shape(response, response.status_code)


@pytest.mark.parametrize(
    ("method", "path", "request_kwargs", "words"),
    BAD_INPUT,
    ids=[f"{m}-{p[:40]}-{i}" for i, (m, p, _k, _w) in enumerate(BAD_INPUT)],
)
def test_bad_input_answers_422_with_a_sentence(
    api: TestClient,
    admin: Person,
    method: str,
    path: str,
    request_kwargs: dict[str, Any],
    words: str,
) -> None:
    response = api.request(method, path, headers=admin.headers, **request_kwargs)
    message = assert_error_shape(response, 422, "InvalidInput")
    assert words in message
    assert message.endswith(".")


@pytest.mark.parametrize(
    ("method", "path", "request_kwargs"),
    [
        ("post", "/api/accounts/acme/login", {"json": {"email": "a\x00@x.io", "password": "x"}}),
        ("post", "/api/accounts/ac%00me/login", {"json": {"email": "a@x.io", "password": "x"}}),
        ("post", "/api/token/refresh", {"json": {"refresh_token": "sg_\x00"}}),
        ("get", "/api/settings/roles/Ro%00le", {}),
        ("get", "/api/spaces/de%00v", {}),
        ("get", "/api/accounts/users/b%00b@example.com", {}),
        ("get", "/api/accounts/users", {"params": {"q": "b\x00"}}),
        ("get", "/api/audit", {"params": {"actor": "a\x00"}}),
        (
            "post",
            "/api/accounts/users",
            {"json": {"email": "nul@example.com", "first_name": "\x00"}},
        ),
        ("post", "/api/authz/check", {"json": {"email": "b\x00", "permission": "CREATE_SPACES"}}),
    ],
)
def test_nul_characters_are_not_a_server_error(
    api: TestClient, admin: Person, method: str, path: str, request_kwargs: dict[str, Any]
) -> None:
    """PostgreSQL cannot store NUL in text; the API must say so, not fail with a 500."""
    response = api.request(method, path, headers=admin.headers, **request_kwargs)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert_error_shape(response, response.status_code)


@pytest.mark.parametrize("path", ["/api/nope", "/api/spaces/dev/nope/deeper", "/api/accounts/acme"])
def test_an_unknown_route_answers_404_in_the_error_shape(
    api: TestClient, admin: Person, path: str
) -> None:
    response = api.get(path, headers=admin.headers)
    assert_error_shape(response, 404, "NotFound")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("delete", "/api/setup"),
        ("patch", "/api/spaces"),
        ("get", "/api/accounts/acme/login"),
        ("put", "/api/authz/check"),
        ("post", "/api/tokens"),
    ],
)
def test_a_wrong_method_answers_405_in_the_error_shape(
    api: TestClient, admin: Person, method: str, path: str
) -> None:
    response = api.request(method, path, headers=admin.headers)
    assert_error_shape(response, 405, "MethodNotAllowed")
    assert "Allow" in response.headers


@pytest.mark.parametrize(
    ("method", "path", "status", "name"),
    [
        ("get", "/api/me", 401, "Unauthorized"),
        ("get", "/api/spaces/nope", 404, "NotFound"),
        ("delete", "/api/settings/roles/Admin", 403, "Forbidden"),
        ("post", "/api/spaces", 409, "Conflict"),
        ("delete", "/api/accounts/users/admin@example.com", 409, "LastAccountAdmin"),
    ],
)
def test_domain_errors_share_the_shape(
    api: TestClient, admin: Person, method: str, path: str, status: int, name: str
) -> None:
    headers = admin.headers if status != 401 else {}
    kwargs: dict[str, Any] = {"json": {"name": "dev"}} if method == "post" else {}
    response = api.request(method, path, headers=headers, **kwargs)
    assert_error_shape(response, status, name)


def test_an_unexpected_failure_is_a_bare_500(
    api: TestClient, world: World, admin: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even a real bug answers the shape, with nothing of its insides."""

    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("secret internals: /etc/passwd, SELECT * FROM users")

    async def explode_async(*_args: object, **_kwargs: object) -> None:
        explode()

    monkeypatch.setattr(world.runtime.authz, "get", explode)
    monkeypatch.setattr(world.runtime.authz, "aget", explode_async)
    monkeypatch.setattr(world.runtime.authz, "peek", explode)
    response = api.get("/api/spaces", headers=admin.headers)
    assert_error_shape(response, 500, "InternalError")
    assert "secret internals" not in response.text
