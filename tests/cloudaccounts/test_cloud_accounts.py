"""Cloud accounts: the Account Admin's objects, allowed in spaces, with write-only
credentials."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from spacegate.cloudaccounts import service
from spacegate.cloudaccounts.models import CloudAccount
from spacegate.db import transaction
from spacegate.environments.models import EnvironmentStatus
from spacegate.runtime import Runtime
from tests.api_helpers import audit_events, error_of
from tests.cloudaccounts.factories import (
    AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY,
    AZURE_CLIENT_SECRET,
    GCP_PRIVATE_KEY,
    Team,
    aws_body,
    azure_body,
    gcp_body,
)
from tests.environments.factories import new_environment, set_status

BASE = "/api/settings/cloudaccounts"
SECRETS = (
    AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY,
    AZURE_CLIENT_SECRET,
    "MIIEvgIBADANBgkqhkiG9w0BAQEFAASC-gcp-test",
    "ROTATED/SECRET/ACCESS/KEY/0123456789abcd",
    "arn:aws:iam::123456789012:role/torque-deployer",
    "external-id-secret-77",
)


def test_admin_adds_a_cloud_account_and_allows_it_in_a_space(
    client: TestClient, team: Team
) -> None:
    created = client.post(BASE, json=aws_body(spaces=["dev"]), headers=team.admin.headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["name"] == "aws-prod"
    assert body["provider"] == "aws"
    assert body["details"] == {"account_id": "123456789012", "default_region": "eu-west-1"}
    assert body["spaces"] == ["dev"]
    assert body["credentials_kind"] == "access_key"
    assert "credentials" not in body

    listed = client.get(BASE, headers=team.admin.headers)
    assert listed.status_code == 200
    assert [a["name"] for a in listed.json()] == ["aws-prod"]
    one = client.get(f"{BASE}/AWS-PROD", headers=team.admin.headers)  # names are case-blind
    assert one.status_code == 200 and one.json()["spaces"] == ["dev"]

    in_space = client.get("/api/spaces/dev/cloudaccounts", headers=team.developer.headers)
    assert in_space.status_code == 200, in_space.text
    assert in_space.json() == [
        {
            "name": "aws-prod",
            "provider": "aws",
            "details": {"account_id": "123456789012", "default_region": "eu-west-1"},
        }
    ]


def test_each_provider_is_accepted(client: TestClient, team: Team) -> None:
    for body in (aws_body(), azure_body(), gcp_body()):
        created = client.post(BASE, json=body, headers=team.admin.headers)
        assert created.status_code == 201, created.text
        assert created.json()["details"] == body["details"]


def test_credentials_never_leave_the_service(
    client: TestClient, team: Team, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    """Not in any response, list, audit event or log line; encrypted at rest."""
    caplog.set_level(logging.DEBUG)
    admin = team.admin.headers
    answers = [
        client.post(BASE, json=aws_body(spaces=["dev"]), headers=admin),
        client.post(BASE, json=azure_body(spaces=["dev"]), headers=admin),
        client.post(BASE, json=gcp_body(), headers=admin),
        client.put(
            f"{BASE}/aws-prod/credentials",
            json={
                "credentials": {
                    "access_key_id": "AKIAIOSFODNN7EXAMPLE",
                    "secret_access_key": "ROTATED/SECRET/ACCESS/KEY/0123456789abcd",
                }
            },
            headers=admin,
        ),
        client.put(
            f"{BASE}/azure-dev/credentials",
            json={
                "credentials": {
                    "role_arn": "arn:aws:iam::123456789012:role/torque-deployer",
                    "external_id": "external-id-secret-77",
                }
            },
            headers=admin,
        ),  # an AWS shape for an Azure account: refused, without echoing it
        client.put(
            f"{BASE}/aws-prod/credentials",
            json={
                "credentials": {
                    "role_arn": "arn:aws:iam::123456789012:role/torque-deployer",
                    "external_id": "external-id-secret-77",
                }
            },
            headers=admin,
        ),
        client.put(
            f"{BASE}/aws-prod", json={"details": {"account_id": "210987654321"}}, headers=admin
        ),
        client.get(BASE, headers=admin),
        client.get(f"{BASE}/aws-prod", headers=admin),
        client.get(f"{BASE}/gcp-data", headers=admin),
        client.get("/api/spaces/dev/cloudaccounts", headers=team.developer.headers),
        client.get("/api/audit", params={"limit": 500}, headers=admin),
        client.get("/api/openapi.json"),
    ]
    statuses = [answer.status_code for answer in answers]
    assert statuses == [201, 201, 201, 200, 422, 200, 200, 200, 200, 200, 200, 200, 200]
    for answer in answers:
        for secret in SECRETS:
            assert secret not in answer.text, (answer.request.url, secret)
    events = audit_events(client, team.admin)
    rotations = [e for e in events if e["action"] == "cloud_account.credentials"]
    assert len(rotations) == 2
    assert all(e["after"]["credentials"] == "changed" for e in rotations)
    assert {e["action"] for e in events} >= {"cloud_account.create", "cloud_account.update"}
    assert caplog.records, "expected the requests to log something"
    logged = caplog.text + "".join(repr(r.__dict__) for r in caplog.records)
    for secret in SECRETS:
        assert secret not in logged, secret
        assert secret not in json.dumps(events)

    with transaction(runtime.sessions, write=False) as session:
        stored = session.scalars(select(CloudAccount)).all()
        assert stored
        for cloud in stored:
            for secret in SECRETS:
                assert secret not in cloud.credentials_sealed
            assert secret not in json.dumps(cloud.details)
        aws = next(c for c in stored if c.name == "aws-prod")
        assert service.open_credentials(runtime.box, aws) == {
            "external_id": "external-id-secret-77",
            "role_arn": "arn:aws:iam::123456789012:role/torque-deployer",
        }
        assert aws.credentials_kind == "role"
        gcp = next(c for c in stored if c.name == "gcp-data")
        key = json.loads(service.open_credentials(runtime.box, gcp)["service_account_key"])
        assert key["private_key"] == GCP_PRIVATE_KEY


def test_space_developer_reads_cloud_account_info_but_cannot_add_one(
    client: TestClient, team: Team
) -> None:
    assert client.post(BASE, json=aws_body(spaces=["dev"]), headers=team.admin.headers).is_success
    developer = team.developer.headers
    assert client.get("/api/spaces/dev/cloudaccounts", headers=developer).status_code == 200
    error_of(client.post(BASE, json=aws_body("mine"), headers=developer), 403, "Forbidden")
    # The account-wide list names every space: it belongs to the Administration area.
    error_of(client.get(BASE, headers=developer), 403)
    error_of(client.get(f"{BASE}/aws-prod", headers=developer), 403)
    error_of(client.delete(f"{BASE}/aws-prod", headers=developer), 403)
    # A Space Member holds no GET_CLOUD_ACCOUNT_INFO; a Space Admin does.
    error_of(client.get("/api/spaces/dev/cloudaccounts", headers=team.member.headers), 403)
    assert client.get("/api/spaces/dev/cloudaccounts", headers=team.space_admin.headers).is_success
    # Without any role in the space, it does not exist for them.
    error_of(client.get("/api/spaces/dev/cloudaccounts", headers=team.outsider.headers), 404)


def test_a_space_shows_only_the_cloud_accounts_allowed_in_it(
    client: TestClient, team: Team
) -> None:
    admin = team.admin.headers
    assert client.post("/api/spaces", json={"name": "prod"}, headers=admin).is_success
    assert client.post(BASE, json=aws_body("aws-prod", ["prod"]), headers=admin).is_success
    assert client.post(
        BASE, json=azure_body("azure-dev", ["dev", "prod"]), headers=admin
    ).is_success
    names = [a["name"] for a in client.get("/api/spaces/dev/cloudaccounts", headers=admin).json()]
    assert names == ["azure-dev"]
    # Changing the spaces replaces them; deleting a space drops it from the list.
    changed = client.put(f"{BASE}/aws-prod", json={"spaces": ["dev", "prod"]}, headers=admin)
    assert changed.status_code == 200 and changed.json()["spaces"] == ["dev", "prod"]
    assert client.delete("/api/spaces/prod", headers=admin).status_code == 204
    assert client.get(f"{BASE}/aws-prod", headers=admin).json()["spaces"] == ["dev"]


def test_update_renames_and_replaces_details_with_an_audit_trail(
    client: TestClient, team: Team
) -> None:
    admin = team.admin.headers
    assert client.post(BASE, json=aws_body(), headers=admin).is_success
    renamed = client.put(
        f"{BASE}/aws-prod",
        json={"name": "aws-main", "details": {"account_id": "210987654321"}},
        headers=admin,
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["details"] == {"account_id": "210987654321"}
    error_of(client.get(f"{BASE}/aws-prod", headers=admin), 404)
    update = audit_events(client, team.admin, action="cloud_account.update")[0]
    assert update["before"]["name"] == "aws-prod" and update["after"]["name"] == "aws-main"
    assert update["after"]["details"] == {"account_id": "210987654321"}
    # The provider decides which details are valid.
    error_of(
        client.put(f"{BASE}/aws-main", json={"details": {"project_id": "acme-1"}}, headers=admin),
        422,
    )
    # Credentials are not changed through this route; sending them is refused, not ignored.
    error_of(
        client.put(
            f"{BASE}/aws-main", json={"credentials": aws_body()["credentials"]}, headers=admin
        ),
        422,
    )


BAD_INPUT: list[tuple[dict[str, Any], str]] = [
    ({"provider": "oracle"}, "not a cloud provider"),
    ({"details": {"account_id": "12345"}}, "12 digits"),
    ({"details": {}}, "needs the detail 'account_id'"),
    ({"details": {"account_id": "123456789012", "color": "red"}}, "Unknown detail 'color'"),
    ({"details": {"account_id": "123456789012", "default_region": "Mars"}}, "AWS region"),
    ({"credentials": {"access_key_id": AWS_ACCESS_KEY_ID}}, "needs credentials"),
    (
        {
            "credentials": {
                "access_key_id": "not-a-key-id",
                "secret_access_key": AWS_SECRET_ACCESS_KEY,
            }
        },
        "'access_key_id' must be an AWS access key id",
    ),
    ({"name": "a/b"}, "must not contain '/'"),
    ({"spaces": ["nowhere"]}, "no space named 'nowhere'"),
]


def test_bad_input_is_refused_with_422(client: TestClient, team: Team) -> None:
    for change, expected in BAD_INPUT:
        answer = client.post(BASE, json={**aws_body(), **change}, headers=team.admin.headers)
        error = error_of(answer, 422)
        assert expected in error["message"], (change, error)
        assert AWS_SECRET_ACCESS_KEY not in error["message"]


OTHER_PROVIDERS_BAD: list[tuple[dict[str, Any], str]] = [
    (
        {**azure_body(), "details": {"subscription_id": "nope", "tenant_id": "nope"}},
        "'subscription_id' must be a UUID",
    ),
    ({**gcp_body(), "details": {"project_id": "A"}}, "'project_id' must be 6 to 30"),
    (
        {**gcp_body(), "credentials": {"service_account_key": '{"type": "user"}'}},
        "GCP service account key",
    ),
]


def test_other_providers_validate_their_fields(client: TestClient, team: Team) -> None:
    for body, expected in OTHER_PROVIDERS_BAD:
        error = error_of(client.post(BASE, json=body, headers=team.admin.headers), 422)
        assert expected in error["message"], (body["provider"], error)


def test_names_are_unique_per_account(client: TestClient, team: Team) -> None:
    assert client.post(BASE, json=aws_body(), headers=team.admin.headers).is_success
    error_of(client.post(BASE, json=aws_body("AWS-Prod"), headers=team.admin.headers), 409)
    # Another account may use the same name.
    assert client.post(BASE, json=aws_body(), headers=team.stranger.headers).is_success


def test_delete_is_refused_while_an_environment_uses_it(
    client: TestClient, runtime: Runtime, team: Team
) -> None:
    admin = team.admin.headers
    assert client.post(BASE, json=aws_body(spaces=["dev"]), headers=admin).is_success
    with transaction(runtime.sessions, write=False) as session:
        cloud_id = session.scalar(select(CloudAccount.id).where(CloudAccount.name == "aws-prod"))
    running = new_environment(
        runtime, team.space_id, team.member, name="nightly-build", cloud_account_id=cloud_id
    )
    error = error_of(client.delete(f"{BASE}/aws-prod", headers=admin), 409, "Conflict")
    assert f"nightly-build ({running})" in error["message"]
    set_status(runtime, running, EnvironmentStatus.ENDED)
    assert client.delete(f"{BASE}/aws-prod", headers=admin).status_code == 204
    error_of(client.get(f"{BASE}/aws-prod", headers=admin), 404)
    assert client.get("/api/spaces/dev/cloudaccounts", headers=admin).json() == []
    deleted = audit_events(client, team.admin, action="cloud_account.delete")[0]
    assert deleted["target"] == "aws-prod" and deleted["before"]["spaces"] == ["dev"]


def test_another_accounts_user_finds_nothing(client: TestClient, team: Team) -> None:
    assert client.post(BASE, json=aws_body(spaces=["dev"]), headers=team.admin.headers).is_success
    stranger = team.stranger.headers
    assert client.get(BASE, headers=stranger).json() == []
    error_of(client.get(f"{BASE}/aws-prod", headers=stranger), 404)
    error_of(client.put(f"{BASE}/aws-prod", json={"spaces": []}, headers=stranger), 404)
    error_of(
        client.put(
            f"{BASE}/aws-prod/credentials",
            json={"credentials": aws_body()["credentials"]},
            headers=stranger,
        ),
        404,
    )
    error_of(client.delete(f"{BASE}/aws-prod", headers=stranger), 404)
    error_of(client.get("/api/spaces/dev/cloudaccounts", headers=stranger), 404)
    # Nor can they allow their own cloud account in someone else's space.
    error_of(client.post(BASE, json=aws_body("x", ["dev"]), headers=stranger), 422)


def test_no_credentials_answer_401(client: TestClient, team: Team) -> None:
    error_of(client.get(BASE), 401, "Unauthorized")
    error_of(client.get("/api/spaces/dev/cloudaccounts"), 401, "Unauthorized")
