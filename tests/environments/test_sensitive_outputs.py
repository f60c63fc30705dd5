"""A sensitive input's value never comes back through an environment's outputs
(a blueprint output or a grain output that repeats it), which every space member reads."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from spacegate.blueprints.models import Blueprint
from spacegate.db import transaction
from spacegate.runtime import Runtime
from tests.cloudaccounts.factories import Team
from tests.environments.factories import DOCUMENT, launch_body, new_launchable, wait_for_status

SECRET = "hunter2-very-secret"


def test_a_sensitive_input_is_masked_in_outputs(
    client: TestClient, runtime: Runtime, team: Team
) -> None:
    blueprint_id = new_launchable(runtime, team.space_id)
    document: dict[str, Any] = {
        **DOCUMENT,
        "grains": {
            **DOCUMENT["grains"],
            "db": {
                "kind": "shell",
                "spec": {
                    "inputs": [{"password": "{{ .inputs.db_password }}"}],
                    "outputs": ["password"],
                },
            },
        },
    }
    with transaction(runtime.sessions) as session:
        blueprint = session.get(Blueprint, blueprint_id)
        assert blueprint is not None
        blueprint.document = document
        blueprint.outputs = [
            *blueprint.outputs,
            {"name": "dsn", "value": "postgres://app:{{ .inputs.db_password }}@db/"},
            {"name": "echo", "value": "{{ .grains.db.outputs.password }}"},
        ]
    body = launch_body(inputs={"hostname": "web.example.com", "db_password": SECRET})
    answer = client.post("/api/spaces/dev/environments", json=body, headers=team.member.headers)
    assert answer.status_code == 200, answer.text
    environment_id = answer.json()["id"]
    runtime.environments.wait_idle()
    read = wait_for_status(
        client, "dev", environment_id, team.developer, {"Active", "Active With Error"}
    )
    assert read["outputs"]["dsn"] == "postgres://app:********@db/"
    assert SECRET not in str(read)
    page = client.get(f"/spaces/dev/environments/{environment_id}", headers=team.developer.headers)
    assert page.status_code == 200, page.text
    assert SECRET not in page.text
