"""Durations and times out of Python's range answer 422, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from spacegate.runtime import Runtime
from tests.api_helpers import error_of
from tests.cloudaccounts.factories import Team
from tests.environments.factories import launch_body, new_environment, new_launchable

ENVIRONMENTS = "/api/spaces/dev/environments"


@pytest.mark.parametrize(
    "duration", ["P99999999999999999999W", "PT" + "9" * 40 + "S", "P" + "9" * 400 + "D"]
)
def test_an_enormous_duration_is_refused(
    client: TestClient, runtime: Runtime, team: Team, duration: str
) -> None:
    new_launchable(runtime, team.space_id)
    answer = client.post(
        ENVIRONMENTS, json=launch_body(duration=duration), headers=team.member.headers
    )
    error_of(answer, 422, "InvalidInput")


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_a_scheduled_end_out_of_range_is_refused(
    client: TestClient, runtime: Runtime, team: Team, value: str
) -> None:
    environment_id = new_environment(runtime, team.space_id, team.member)
    answer = client.put(
        f"{ENVIRONMENTS}/{environment_id}/scheduled_end_time",
        params={"value": value},
        headers=team.member.headers,
    )
    error_of(answer, 422, "InvalidInput")
