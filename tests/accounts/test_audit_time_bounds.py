"""Audit log API: extreme times are bad input, not a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from spacegate.runtime import Runtime
from tests.api_helpers import error_of
from tests.factories import new_account


@pytest.mark.parametrize(
    "query",
    [
        {"from": "0001-01-01T00:00:00+05:00"},
        {"to": "9999-12-31T23:59:59-05:00"},
    ],
)
def test_a_time_beyond_the_calendar_in_utc_is_refused(
    client: TestClient, runtime: Runtime, query: dict[str, str]
) -> None:
    owner = new_account(runtime)
    response = client.get("/api/audit", params=query, headers=owner.headers)
    error_of(response, 422, "InvalidInput")


def test_the_calendar_edges_in_utc_are_fine(client: TestClient, runtime: Runtime) -> None:
    owner = new_account(runtime)
    response = client.get(
        "/api/audit",
        params={"from": "0001-01-01T00:00:00Z", "to": "9999-12-31T23:59:59Z"},
        headers=owner.headers,
    )
    assert response.status_code == 200, response.text
    assert [e["action"] for e in response.json()] == ["account.create"]
