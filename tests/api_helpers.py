"""Helpers for tests that go through the HTTP API: signing in, the error shape of
API.md, and reading the audit log."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.testclient import TestClient
from httpx2 import Response

from spacegate.authz import CATALOG, BuiltinRole, Level
from tests.factories import PASSWORD, Person


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def login(client: TestClient, email: str, account: str = "acme") -> dict[str, Any]:
    """Sign in with the factories' password; the token pair of the answer."""
    response = client.post(
        f"/api/accounts/{account}/login", json={"email": email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def error_of(response: Response, status: int, name: str | None = None) -> dict[str, Any]:
    """Assert `status` with API.md's error shape (a named error and a human sentence);
    return the first error."""
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["errors"], body
    assert body["errors"], body
    for error in body["errors"]:
        assert isinstance(error["name"], str) and error["name"], body
        message = error["message"]
        assert isinstance(message, str) and len(message) > 10, body
        assert message.rstrip().endswith((".", "?", "!")), f"not a sentence: {message!r}"
        assert "Traceback" not in message, body
    first: dict[str, Any] = body["errors"][0]
    if name is not None:
        assert first["name"] == name, body
    return first


def audit_events(client: TestClient, reader: Person, **filters: str) -> list[dict[str, Any]]:
    """The account's audit events (newest first), filtered as `GET /api/audit` allows."""
    response = client.get("/api/audit", params={**filters, "limit": 500}, headers=reader.headers)
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()
    return events


def builtin_permissions(role: BuiltinRole, level: Level | None = None) -> list[str]:
    """The permission ids a built-in role holds, in catalog order, read off the catalog
    (the one definition of the matrix), optionally only those of one level."""
    return [
        spec.id.value
        for spec in CATALOG
        if role in spec.holders and (level is None or spec.level is level)
    ]


def level_permissions(level: Level) -> list[str]:
    """Every permission id of a level, in catalog order."""
    return [spec.id.value for spec in CATALOG if spec.level is level]


def at_once(
    client: TestClient, method: str, path: str, callers: list[Person], **kwargs: Any
) -> list[Response]:
    """The same request by each caller, in threads released together by a barrier."""
    barrier = threading.Barrier(len(callers), timeout=10)

    def send(caller: Person) -> Response:
        barrier.wait()
        return client.request(method, path, headers=caller.headers, **kwargs)

    with ThreadPoolExecutor(max_workers=len(callers)) as pool:
        return list(pool.map(send, callers))
