from __future__ import annotations

import pytest

from spacegate.runtime import Runtime
from tests.cloudaccounts.factories import Team, new_team


@pytest.fixture
def team(runtime: Runtime) -> Team:
    return new_team(runtime)
