"""Arranging launchable blueprints and environments for tests."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update

from spacegate.blueprints.models import Blueprint
from spacegate.db import transaction, utcnow
from spacegate.environments.launch import new_public_id
from spacegate.environments.models import Environment, EnvironmentStatus
from spacegate.runtime import Runtime
from tests.blueprints.factories import new_repository
from tests.factories import Person

INPUTS: list[dict[str, Any]] = [
    {
        "name": "image_tag",
        "type": "string",
        "description": None,
        "default": "latest",
        "has_default": True,
        "sensitive": False,
        "allowed_values": None,
        "display_style": None,
    },
    {
        "name": "replicas",
        "type": "numeric",
        "description": None,
        "default": 2,
        "has_default": True,
        "sensitive": False,
        "allowed_values": [1, 2, 3],
        "display_style": None,
    },
    {
        "name": "hostname",
        "type": "string",
        "description": None,
        "default": None,
        "has_default": False,
        "sensitive": False,
        "allowed_values": None,
        "display_style": None,
    },
    {
        "name": "db_password",
        "type": "string",
        "description": None,
        "default": "s3cret-default",
        "has_default": True,
        "sensitive": True,
        "allowed_values": None,
        "display_style": None,
    },
]
GRAINS: list[dict[str, Any]] = [
    {"name": "app", "kind": "helm", "source_store": None, "source_path": None, "depends_on": []},
    {
        "name": "db",
        "kind": "shell",
        "source_store": None,
        "source_path": None,
        "depends_on": [],
    },
]
DOCUMENT: dict[str, Any] = {
    "spec_version": 2,
    "grains": {
        "app": {
            "kind": "helm",
            "cost_per_hour": 0.5,
            "depends-on": "db",
            "spec": {
                "inputs": [
                    {"image.tag": "{{ .inputs.image_tag }}"},
                    {"host": "{{ .inputs.hostname }}"},
                ],
                "outputs": ["host", "url"],
            },
        },
        "db": {"kind": "shell", "cost_per_hour": 0.25, "spec": {"outputs": ["address"]}},
    },
}
OUTPUTS: list[dict[str, Any]] = [
    {
        "name": "url",
        "value": "https://{{ .grains.app.outputs.host }}/",
        "description": None,
        "kind": "link",
        "quick": True,
    }
]


def new_launchable(
    runtime: Runtime,
    space_id: int,
    name: str = "web-app",
    *,
    repository: str = "platform",
    published: bool = True,
    repository_id: int | None = None,
) -> int:
    """A blueprint with inputs (one required, one numeric with allowed values, one
    sensitive), two grains with hourly costs, and an output; answers its id."""
    if repository_id is None:
        repository_id = new_repository(runtime, space_id, repository)
    with transaction(runtime.sessions) as session:
        blueprint = Blueprint(
            repository_id=repository_id,
            name=name,
            name_key=name.lower(),
            file_path=f"blueprints/{name}.yaml",
            blob_sha="0" * 40,
            commit="1" * 40,
            description=f"The {name} blueprint.",
            inputs=INPUTS,
            outputs=OUTPUTS,
            grains=[
                {**GRAINS[0], "depends_on": ["db"]},
                GRAINS[1],
            ],
            errors=[],
            document=DOCUMENT,
            published=published,
        )
        session.add(blueprint)
        session.flush()
        return blueprint.id


def launch_body(name: str = "my-env", duration: str = "PT30M", **extra: Any) -> dict[str, Any]:
    return {
        "environment_name": name,
        "duration": duration,
        "inputs": {"hostname": "web.example.com"},
        "source": {"blueprint_name": "web-app", "repository_name": "platform"},
        **extra,
    }


def new_environment(
    runtime: Runtime,
    space_id: int,
    owner: Person,
    *,
    name: str = "existing",
    production: bool = False,
    status: EnvironmentStatus = EnvironmentStatus.ACTIVE,
    cost_per_hour: float = 0.0,
    tags: dict[str, str] | None = None,
    launched_hours_ago: float = 1.0,
    cloud_account_id: int | None = None,
    compute_service_id: int | None = None,
) -> str:
    """An environment recorded as the worker leaves it (no resources); answers its id."""
    now = utcnow()
    with transaction(runtime.sessions) as session:
        environment = Environment(
            public_id=new_public_id(),
            account_id=owner.account_id,
            space_id=space_id,
            name=name,
            blueprint_name="web-app",
            repository_name="platform",
            blueprint_commit="1" * 40,
            plan={"inputs": [], "outputs": [], "grains": []},
            owner_id=owner.user_id,
            owner_email=owner.email,
            production=production,
            inputs={},
            tags=tags or {},
            resources=[],
            outputs={},
            errors=[],
            log="",
            cost_per_hour=cost_per_hour,
            status=status.value,
            launched_at=now - timedelta(hours=launched_hours_ago),
            active_at=now - timedelta(hours=launched_hours_ago),
            scheduled_end_at=now + timedelta(hours=2),
            updated_at=now,
            cloud_account_id=cloud_account_id,
            compute_service_id=compute_service_id,
        )
        session.add(environment)
        session.flush()
        return environment.public_id


def set_status(runtime: Runtime, environment_id: str, status: EnvironmentStatus) -> None:
    with transaction(runtime.sessions) as session:
        session.execute(
            update(Environment)
            .where(Environment.public_id == environment_id)
            .values(status=status.value)
        )


def read(client: TestClient, space: str, environment_id: str, who: Person) -> dict[str, Any]:
    response = client.get(f"/api/spaces/{space}/environments/{environment_id}", headers=who.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def wait_for_status(
    client: TestClient,
    space: str,
    environment_id: str,
    who: Person,
    statuses: set[str],
    timeout: float = 15.0,
) -> dict[str, Any]:
    """Read the environment until its status is one of `statuses` (the worker runs in
    the background)."""
    deadline = time.monotonic() + timeout
    while True:
        body = read(client, space, environment_id, who)
        if body["details"]["computed_status"] in statuses:
            return body
        assert time.monotonic() < deadline, f"still {body['details']['computed_status']}"
        time.sleep(0.05)
