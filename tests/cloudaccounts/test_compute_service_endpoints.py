"""A compute service's token belongs to its API server (finding 2 of the security
review), and its API server cannot be an internal address (finding 3)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from spacegate.runtime import Runtime
from tests.api_helpers import error_of
from tests.cloudaccounts.factories import K8S_TOKEN, Team, compute_body

SERVICES = "/api/settings/computeservices"


def test_a_new_api_server_needs_its_token_in_the_same_change(
    client: TestClient, team: Team
) -> None:
    headers = team.admin.headers
    assert client.post(SERVICES, json=compute_body("eks"), headers=headers).status_code == 201
    moved = client.put(
        f"{SERVICES}/eks", json={"api_server": "https://attacker.example:6443"}, headers=headers
    )
    assert "only ever sent to the server it was given for" in error_of(moved, 422)["message"]
    assert client.get(f"{SERVICES}/eks", headers=headers).json()["api_server"] == (
        "https://k8s.acme.example:6443"
    )
    # The same server spelled differently is the same server; a new one with its token is fine.
    same = client.put(
        f"{SERVICES}/eks", json={"api_server": "https://K8S.acme.example:6443/"}, headers=headers
    )
    assert same.status_code == 200, same.text
    moved = client.put(
        f"{SERVICES}/eks",
        json={"api_server": "https://k8s-2.acme.example", "token": K8S_TOKEN + "-new"},
        headers=headers,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["api_server"] == "https://k8s-2.acme.example"


@pytest.mark.parametrize(
    "api_server",
    ["https://169.254.169.254", "https://127.0.0.1:6443", "https://[::1]:6443", "https://10.0.0.1"],
)
def test_an_internal_api_server_is_refused(
    client: TestClient, runtime: Runtime, team: Team, api_server: str
) -> None:
    body = {**compute_body("eks"), "api_server": api_server}
    answer = client.post(SERVICES, json=body, headers=team.admin.headers)
    assert "internal address" in error_of(answer, 422)["message"]
    runtime.settings.outbound_allowed_networks = ("0.0.0.0/0", "::/0")
    assert client.post(SERVICES, json=body, headers=team.admin.headers).status_code == 201
