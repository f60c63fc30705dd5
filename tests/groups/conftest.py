from __future__ import annotations

import pytest

from spacegate.authz import Level, Permission
from spacegate.runtime import Runtime
from tests.factories import Person, new_account, new_custom_role


@pytest.fixture
def admin(runtime: Runtime) -> Person:
    """The Account Admin of account `acme`, created with it, and the account's custom
    roles: "User Manager" (users, not spaces) and "Publisher" (a space role)."""
    person = new_account(runtime)
    new_custom_role(
        runtime,
        person.account_id,
        "User Manager",
        Level.ACCOUNT,
        [Permission.ACCESS_ADMINISTRATION, Permission.MANAGE_ACCOUNT_USERS],
    )
    new_custom_role(
        runtime,
        person.account_id,
        "Publisher",
        Level.SPACE,
        [Permission.VIEW_SPACE, Permission.BROWSE_CATALOG, Permission.PUBLISH_BLUEPRINTS],
    )
    return person
