"""Groups in the grant index of a running installation: a check through a group makes
no database query, and a membership change is seen by the next request."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import event

from spacegate.authz import Permission
from spacegate.runtime import Runtime
from tests.access.test_index_cache import StatementCounter
from tests.factories import Person, new_space, new_user, request_access


def test_a_check_through_a_group_makes_no_database_query(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    bob = new_user(runtime, admin.account_id, "bob@example.com")
    dev = new_space(runtime, admin.account_id, "dev")
    created = client.post(
        "/api/groups",
        json={
            "name": "Team",
            "users": [bob.email],
            "space_roles": [{"space_name": "dev", "space_role": "Space Admin"}],
        },
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text
    with runtime.sessions() as session:
        access = request_access(runtime.authz.get(session, admin.account_id), bob.user_id)
    counter = StatementCounter()
    event.listen(runtime.engine, "before_cursor_execute", counter)
    try:
        for _ in range(1000):
            assert access.has(Permission.MANAGE_SPACE_USERS, dev)
            assert not access.has(Permission.CREATE_SPACES)
    finally:
        event.remove(runtime.engine, "before_cursor_execute", counter)
    assert counter.count == 0
