from __future__ import annotations

import pytest

from spacegate.runtime import Runtime
from tests.factories import Person, new_account


@pytest.fixture
def admin(runtime: Runtime) -> Person:
    """The Account Admin of account `acme`, created with it."""
    return new_account(runtime)
