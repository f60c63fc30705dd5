"""Kubernetes compute services: like cloud accounts, with a write-only token."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from spacegate.cloudaccounts import service
from spacegate.cloudaccounts.models import ComputeService
from spacegate.db import transaction
from spacegate.environments.models import EnvironmentStatus
from spacegate.runtime import Runtime
from tests.api_helpers import audit_events, error_of
from tests.cloudaccounts.factories import K8S_TOKEN, Team, compute_body
from tests.environments.factories import new_environment, set_status

BASE = "/api/settings/computeservices"
NEW_TOKEN = "eyJhbGciOiJSUzI1NiJ9.rotated-token-payload.sig-9876"


def test_compute_service_lifecycle_never_shows_the_token(
    client: TestClient, team: Team, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    admin = team.admin.headers
    created = client.post(BASE, json=compute_body(spaces=["dev"]), headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["kind"] == "kubernetes"
    assert created.json()["api_server"] == "https://k8s.acme.example:6443"
    assert created.json()["spaces"] == ["dev"]
    updated = client.put(
        f"{BASE}/eks-dev", json={"namespace": "torque-prod", "name": "eks-main"}, headers=admin
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["namespace"] == "torque-prod"
    rotated = client.put(f"{BASE}/eks-main/credentials", json={"token": NEW_TOKEN}, headers=admin)
    assert rotated.status_code == 200, rotated.text
    answers = [
        created,
        updated,
        rotated,
        client.get(BASE, headers=admin),
        client.get(f"{BASE}/eks-main", headers=admin),
        client.get("/api/spaces/dev/computeservices", headers=team.developer.headers),
        client.get("/api/audit", params={"limit": 500}, headers=admin),
    ]
    assert all(answer.status_code in (200, 201) for answer in answers)
    for answer in answers:
        assert K8S_TOKEN not in answer.text and NEW_TOKEN not in answer.text
    assert answers[5].json() == [
        {
            "name": "eks-main",
            "kind": "kubernetes",
            "api_server": "https://k8s.acme.example:6443",
            "namespace": "torque-prod",
        }
    ]
    assert K8S_TOKEN not in caplog.text and NEW_TOKEN not in caplog.text
    rotation = audit_events(client, team.admin, action="compute_service.token")[0]
    assert rotation["after"] == {"token": "changed"}
    with transaction(runtime.sessions, write=False) as session:
        stored = session.scalars(select(ComputeService)).one()
        assert NEW_TOKEN not in stored.token_sealed
        assert service.open_token(runtime.box, stored) == NEW_TOKEN

    assert client.delete(f"{BASE}/eks-main", headers=admin).status_code == 204
    assert client.get(BASE, headers=admin).json() == []
    assert audit_events(client, team.admin, action="compute_service.delete")


BAD_INPUT: list[tuple[dict[str, Any], str]] = [
    ({"api_server": "k8s.acme.example"}, "cluster's API URL"),
    ({"api_server": "https://user:pw@k8s.acme.example"}, "without credentials"),
    ({"namespace": "Torque_Sandboxes"}, "not a Kubernetes namespace name"),
    ({"token": "   "}, "service-account token"),
    ({"token": "two words"}, "service-account token"),
    ({"spaces": ["nowhere"]}, "no space named 'nowhere'"),
]


def test_bad_input_is_refused_with_422(client: TestClient, team: Team) -> None:
    for change, expected in BAD_INPUT:
        body = {**compute_body(), **change}
        error = error_of(client.post(BASE, json=body, headers=team.admin.headers), 422)
        assert expected in error["message"], (change, error)


def test_guards(client: TestClient, team: Team) -> None:
    assert client.post(
        BASE, json=compute_body(spaces=["dev"]), headers=team.admin.headers
    ).is_success
    error_of(client.post(BASE, json=compute_body("x"), headers=team.space_admin.headers), 403)
    error_of(client.get(BASE, headers=team.developer.headers), 403)
    assert client.get("/api/spaces/dev/computeservices", headers=team.developer.headers).is_success
    error_of(client.get("/api/spaces/dev/computeservices", headers=team.member.headers), 403)
    error_of(client.get("/api/spaces/dev/computeservices", headers=team.stranger.headers), 404)
    error_of(client.get(f"{BASE}/eks-dev", headers=team.stranger.headers), 404)
    error_of(client.post(BASE, json=compute_body(), headers=team.admin.headers), 409)


def test_delete_is_refused_while_an_environment_runs_on_it(
    client: TestClient, runtime: Runtime, team: Team
) -> None:
    assert client.post(BASE, json=compute_body(), headers=team.admin.headers).is_success
    with transaction(runtime.sessions, write=False) as session:
        compute_id = session.scalar(
            select(ComputeService.id).where(ComputeService.name == "eks-dev")
        )
    running = new_environment(
        runtime, team.space_id, team.member, name="demo", compute_service_id=compute_id
    )
    refused = error_of(client.delete(f"{BASE}/eks-dev", headers=team.admin.headers), 409)
    assert f"demo ({running})" in refused["message"]
    set_status(runtime, running, EnvironmentStatus.ENDED)
    assert client.delete(f"{BASE}/eks-dev", headers=team.admin.headers).status_code == 204
