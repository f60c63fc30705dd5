"""A launch that is still running keeps its claim. The lease is for a worker
that stopped; a worker that is slow (terraform grains one after the other) must not see
a second worker take the same launch and deploy it again."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from spacegate.environments.executors.base import GrainJob, GrainResult
from spacegate.environments.executors.local import LocalExecutor
from spacegate.environments.worker import EnvironmentWorker
from spacegate.runtime import Runtime
from spacegate.settings import Settings
from tests.cloudaccounts.factories import Team
from tests.environments.factories import launch_body, new_launchable

LEASE = 0.6
GRAIN_SECONDS = 0.4


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"environment_worker": False, "environment_lease_seconds": LEASE}
    )


class SlowExecutor(LocalExecutor):
    """Each grain takes GRAIN_SECONDS; during each, another worker tries to claim."""

    def __init__(self, other: EnvironmentWorker) -> None:
        self.other = other
        self.stolen: list[str] = []

    def deploy(self, job: GrainJob) -> GrainResult:
        time.sleep(GRAIN_SECONDS)
        taken = self.other.claim_one()
        if taken is not None:
            self.stolen.append(job.grain)
        return super().deploy(job)


def test_a_running_launch_is_not_claimed_again_between_its_grains(
    client: TestClient, runtime: Runtime, team: Team
) -> None:
    new_launchable(runtime, team.space_id)  # two grains
    answer = client.post(
        "/api/spaces/dev/environments", json=launch_body(), headers=team.member.headers
    )
    assert answer.status_code == 200, answer.text
    worker = runtime.environments
    other = EnvironmentWorker(runtime.sessions, runtime.settings, runtime.box)
    slow = SlowExecutor(other)
    worker.runner._local = slow
    job = worker.claim_one()
    assert job is not None
    worker.runner.run(job)
    assert slow.stolen == []
