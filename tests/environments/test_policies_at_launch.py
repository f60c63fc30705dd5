"""Space policies are evaluated on launch and extend, with every deny message."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from spacegate.db import utcnow
from spacegate.runtime import Runtime
from tests.api_helpers import error_of
from tests.cloudaccounts.factories import Team
from tests.environments.factories import launch_body, new_launchable

ENVIRONMENTS = "/api/spaces/dev/environments"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "policies"

# Records the input document it was given, so the test can check its shape.
SHOW_INPUT = """package spacegate.show

import rego.v1

deny contains msg if {
	input.inputs.hostname == "echo.example.com"
	msg := json.marshal(input)
}
"""


def add_policy(client: TestClient, team: Team, name: str, rego: str, data: Any) -> None:
    response = client.post(
        "/api/spaces/dev/policies",
        json={"name": name, "rego": rego, "data": data},
        headers=team.space_admin.headers,
    )
    assert response.status_code == 201, response.text


def test_a_policy_written_by_a_space_admin_stops_an_over_long_launch(
    client: TestClient, runtime: Runtime, team: Team
) -> None:
    new_launchable(runtime, team.space_id)
    add_policy(
        client,
        team,
        "max-duration",
        (EXAMPLES / "max-duration.rego").read_text(),
        {"max_duration_minutes": 60, "include_production": False},
    )
    add_policy(
        client,
        team,
        "no-ten-hours",
        'package spacegate.ten\n\nimport rego.v1\n\ndeny contains "Ten hours is too long." if '
        "input.duration_minutes >= 600\n",
        {},
    )
    refused = client.post(
        ENVIRONMENTS, json=launch_body(duration="PT600M"), headers=team.member.headers
    )
    error = error_of(refused, 403, "PolicyDenied")
    assert "may run at most 60 minutes; 600 minutes were asked" in error["message"]
    assert "Ten hours is too long." in error["message"]
    assert len(error["messages"]) == 2
    assert client.get(ENVIRONMENTS, headers=team.member.headers).json() == []

    allowed = client.post(
        ENVIRONMENTS, json=launch_body(duration="PT30M"), headers=team.member.headers
    )
    assert allowed.status_code == 200, allowed.text
    environment_id = allowed.json()["id"]
    later = (utcnow() + timedelta(hours=3)).isoformat()
    extend = client.put(
        f"{ENVIRONMENTS}/{environment_id}/scheduled_end_time",
        params={"value": later},
        headers=team.member.headers,
    )
    assert "may run at most 60 minutes" in error_of(extend, 403, "PolicyDenied")["message"]


def test_the_policy_input_document(client: TestClient, runtime: Runtime, team: Team) -> None:
    new_launchable(runtime, team.space_id)
    add_policy(client, team, "show", SHOW_INPUT, {})
    body = launch_body(duration="PT45M")
    body["inputs"] = {"hostname": "echo.example.com", "db_password": "hunter22"}
    refused = client.post(ENVIRONMENTS, json=body, headers=team.member.headers)
    document = json.loads(error_of(refused, 403, "PolicyDenied")["messages"][0])
    assert document["action"] == "launch"
    assert document["user"] == {
        "email": team.member.email,
        "account_role": "Member",
        "space_role": "Space Member",
    }
    assert document["space"] == "dev"
    assert document["blueprint"] == {"name": "web-app", "repository": "platform"}
    assert document["inputs"]["db_password"] == "********"
    assert document["inputs"]["hostname"] == "echo.example.com"
    assert document["duration_minutes"] == 45
    assert document["production"] is False
    assert document["tags"]["spacegate-space"] == "dev"
    assert document["cloud_account"] is None
    assert document["active_sandboxes_of_user"] == 0
