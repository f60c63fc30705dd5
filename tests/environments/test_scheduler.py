"""Sandboxes end by themselves at their scheduled time, also across a server restart:
the scheduler reads due environments from the database."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from spacegate.app import create_app
from spacegate.runtime import Runtime
from spacegate.settings import Settings
from tests.api_helpers import audit_events
from tests.cloudaccounts.factories import Team
from tests.environments.factories import launch_body, new_launchable, read, wait_for_status

ENVIRONMENTS = "/api/spaces/dev/environments"


def test_an_expired_sandbox_ends_by_itself(
    client: TestClient, runtime: Runtime, team: Team
) -> None:
    new_launchable(runtime, team.space_id)
    response = client.post(
        ENVIRONMENTS, json=launch_body(duration="PT1S"), headers=team.member.headers
    )
    environment_id = response.json()["id"]
    body = wait_for_status(client, "dev", environment_id, team.member, {"Ended"})
    assert body["ended_by"] == "scheduler"
    events = audit_events(client, team.admin, target=environment_id)
    assert [e["action"] for e in events] == ["environment.end", "environment.launch"]
    assert events[0]["actor"] == "scheduler"


def test_the_scheduler_ends_a_sandbox_after_a_server_restart(
    runtime: Runtime, settings: Settings, team: Team
) -> None:
    new_launchable(runtime, team.space_id)
    with TestClient(create_app(runtime=runtime)) as first:
        response = first.post(
            ENVIRONMENTS, json=launch_body(duration="PT2S"), headers=team.member.headers
        )
        environment_id = response.json()["id"]
        wait_for_status(first, "dev", environment_id, team.member, {"Active"})
    # The server is down when the sandbox's time comes.
    time.sleep(2.2)
    restarted = Runtime.start(settings)
    try:
        with TestClient(create_app(runtime=restarted)) as second:
            assert read(second, "dev", environment_id, team.member)["details"][
                "computed_status"
            ] in {"Active", "Terminating", "Ended"}
            body = wait_for_status(second, "dev", environment_id, team.member, {"Ended"})
            assert body["ended_by"] == "scheduler"
    finally:
        restarted.close()
