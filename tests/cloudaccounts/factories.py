"""Arranging cloud accounts, compute services and the people of a space for tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from spacegate.authz import BuiltinRole
from spacegate.cloudaccounts.models import (
    CloudAccount,
    CloudAccountSpace,
    ComputeService,
    ComputeServiceSpace,
)
from spacegate.db import transaction
from spacegate.runtime import Runtime
from tests.factories import Person, add_member, new_account, new_space, new_user

# AWS's documented example key pair: never a real credential.
AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
AZURE_CLIENT_SECRET = "azure~client~secret~value-0123456789"
GCP_PRIVATE_KEY = "\n".join(
    [
        "-----BEGIN PRIVATE KEY-----",
        "MIIEvgIBADANBgkqhkiG9w0BAQEFAASC-gcp-test",
        "-----END PRIVATE KEY-----",
    ]
)
K8S_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGV2OnRvcnF1ZSJ9.sig-0123"


def aws_body(name: str = "aws-prod", spaces: list[str] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "provider": "aws",
        "details": {"account_id": "123456789012", "default_region": "eu-west-1"},
        "spaces": spaces or [],
        "credentials": {
            "access_key_id": AWS_ACCESS_KEY_ID,
            "secret_access_key": AWS_SECRET_ACCESS_KEY,
        },
    }


def azure_body(name: str = "azure-dev", spaces: list[str] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "provider": "azure",
        "details": {
            "subscription_id": "6a0c3a4e-8d3f-4c1e-9f55-0b8a1c2d3e4f",
            "tenant_id": "72f988bf-86f1-41af-91ab-2d7cd011db47",
            "default_region": "westeurope",
        },
        "spaces": spaces or [],
        "credentials": {
            "client_id": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
            "client_secret": AZURE_CLIENT_SECRET,
        },
    }


def gcp_body(name: str = "gcp-data", spaces: list[str] | None = None) -> dict[str, Any]:
    key = {
        "type": "service_account",
        "project_id": "acme-data-1",
        "client_email": "torque@acme-data-1.iam.gserviceaccount.com",
        "private_key": GCP_PRIVATE_KEY,
    }
    return {
        "name": name,
        "provider": "gcp",
        "details": {"project_id": "acme-data-1"},
        "spaces": spaces or [],
        "credentials": {"service_account_key": json.dumps(key)},
    }


def compute_body(name: str = "eks-dev", spaces: list[str] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "api_server": "https://k8s.acme.example:6443",
        "namespace": "torque-sandboxes",
        "token": K8S_TOKEN,
        "spaces": spaces or [],
    }


def new_cloud_account(
    runtime: Runtime, account_id: int, name: str = "aws-prod", space_ids: tuple[int, ...] = ()
) -> None:
    """An AWS cloud account stored as the service stores one, allowed in `space_ids`."""
    credentials = {
        "access_key_id": AWS_ACCESS_KEY_ID,
        "secret_access_key": AWS_SECRET_ACCESS_KEY,
    }
    with transaction(runtime.sessions) as session:
        cloud = CloudAccount(
            account_id=account_id,
            name=name,
            name_key=name.lower(),
            provider="aws",
            details={"account_id": "123456789012"},
            credentials_sealed=runtime.box.seal(json.dumps(credentials)),
            credentials_kind="access_key",
        )
        session.add(cloud)
        session.flush()
        session.add_all(CloudAccountSpace(cloud_account_id=cloud.id, space_id=s) for s in space_ids)


def new_compute_service(
    runtime: Runtime, account_id: int, name: str = "eks-dev", space_ids: tuple[int, ...] = ()
) -> None:
    with transaction(runtime.sessions) as session:
        compute = ComputeService(
            account_id=account_id,
            name=name,
            name_key=name.lower(),
            api_server="https://k8s.acme.example:6443",
            namespace="torque-sandboxes",
            token_sealed=runtime.box.seal(K8S_TOKEN),
        )
        session.add(compute)
        session.flush()
        session.add_all(
            ComputeServiceSpace(compute_service_id=compute.id, space_id=s) for s in space_ids
        )


@dataclass(frozen=True)
class Team:
    """Account `acme` with space `dev` and one person per built-in role in it, plus the
    Account Admin of another account (`globex`, with its own space `elsewhere`)."""

    admin: Person
    space: str
    space_id: int
    space_admin: Person
    developer: Person
    member: Person
    outsider: Person  # an account member with no role in `dev`
    stranger: Person


def new_team(runtime: Runtime) -> Team:
    admin = new_account(runtime, "acme", "admin@acme.example")
    space_id = new_space(runtime, admin.account_id, "dev")
    people = {}
    for key, role in (
        ("space_admin", BuiltinRole.SPACE_ADMIN),
        ("developer", BuiltinRole.SPACE_DEVELOPER),
        ("member", BuiltinRole.SPACE_MEMBER),
    ):
        person = new_user(runtime, admin.account_id, f"{key.replace('_', '-')}@acme.example")
        add_member(runtime, space_id, person.user_id, role)
        people[key] = person
    outsider = new_user(runtime, admin.account_id, "outsider@acme.example")
    stranger = new_account(runtime, "globex", "boss@globex.example")
    new_space(runtime, stranger.account_id, "elsewhere")
    return Team(
        admin=admin,
        space="dev",
        space_id=space_id,
        space_admin=people["space_admin"],
        developer=people["developer"],
        member=people["member"],
        outsider=outsider,
        stranger=stranger,
    )
