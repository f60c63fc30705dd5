from __future__ import annotations

import pytest

from spacegate.runtime import Runtime
from spacegate.settings import Settings
from tests.cloudaccounts.factories import Team, new_team


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The worker polls quickly; every grain runs with the local executor unless a test
    asks for terraform."""
    return settings.model_copy(update={"environment_poll_seconds": 0.05, "executor": "local"})


@pytest.fixture
def team(runtime: Runtime) -> Team:
    return new_team(runtime)
