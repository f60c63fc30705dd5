"""A space with running environments cannot be deleted: their resources would be left
behind with no owner."""

from __future__ import annotations

from fastapi.testclient import TestClient

from spacegate.runtime import Runtime
from tests.api_helpers import error_of
from tests.cloudaccounts.factories import Team
from tests.environments.factories import launch_body, new_launchable, wait_for_status


def test_deleting_a_space_waits_for_its_environments_to_end(
    client: TestClient, runtime: Runtime, team: Team
) -> None:
    new_launchable(runtime, team.space_id)
    launched = client.post(
        "/api/spaces/dev/environments",
        json=launch_body(name="keep-me"),
        headers=team.member.headers,
    )
    assert launched.status_code == 200, launched.text
    environment_id = launched.json()["id"]
    runtime.environments.wait_idle()

    refused = client.delete("/api/spaces/dev", headers=team.admin.headers)
    error = error_of(refused, 409, "Conflict")
    assert "keep-me" in error["message"]

    ended = client.delete(
        f"/api/spaces/dev/environments/{environment_id}", headers=team.member.headers
    )
    assert ended.status_code in (200, 202, 204), ended.text
    runtime.environments.wait_idle()
    wait_for_status(client, "dev", environment_id, team.member, {"Ended"})
    assert client.delete("/api/spaces/dev", headers=team.admin.headers).status_code == 204
