"""Cost reports and ingestion answer bad input with 422, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from spacegate.runtime import Runtime
from tests.api_helpers import error_of
from tests.cloudaccounts.factories import Team
from tests.environments.factories import new_environment


@pytest.mark.parametrize(
    "url",
    [
        "/api/spaces/dev/cost?to=9999-12-31",
        "/api/spaces/dev/cost?to=0001-01-01",
        "/api/cost?to=9999-12-31",
        "/api/cost?from=9999-12-30&to=9999-12-31",
    ],
)
def test_a_range_at_the_edge_of_the_calendar_is_refused(
    client: TestClient, team: Team, url: str
) -> None:
    error_of(client.get(url, headers=team.admin.headers), 422, "InvalidInput")


def test_a_csv_field_over_the_parsers_limit_is_refused(
    client: TestClient, runtime: Runtime, team: Team
) -> None:
    environment_id = new_environment(runtime, team.space_id, team.member)
    body = f'environment_id,date,amount\n{environment_id},2025-01-01,"{"1" * 200_000}"\n'
    answer = client.post(
        "/api/cost/records",
        content=body.encode(),
        headers={**team.admin.headers, "content-type": "text/csv"},
    )
    error_of(answer, 422, "InvalidInput")
