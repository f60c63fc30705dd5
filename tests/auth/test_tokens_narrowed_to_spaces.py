"""API tokens narrowed to spaces (rule 8, rule 3)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from spacegate.runtime import Runtime
from tests.api_helpers import bearer, error_of
from tests.factories import add_member, new_account, new_space, new_user


def test_a_token_narrowed_to_a_deleted_space_gets_nothing_in_a_later_space(
    client: TestClient, runtime: Runtime
) -> None:
    """SQLite hands the id of the newest space, once it is deleted, to the next space
    created; the token's row for the deleted space goes with it, and the token stays
    narrowed (to no space at all)."""
    admin = new_account(runtime)
    new_space(runtime, admin.account_id, "dev")
    assert (
        client.post("/api/spaces", json={"name": "temp"}, headers=admin.headers).status_code == 201
    )
    issued = client.post("/api/token/longtoken", json={"spaces": ["temp"]}, headers=admin.headers)
    assert issued.status_code == 201, issued.text
    narrowed = bearer(issued.json()["access_token"])
    assert client.delete("/api/spaces/temp", headers=admin.headers).status_code == 204
    later = client.post("/api/spaces", json={"name": "finance"}, headers=admin.headers)
    assert later.status_code == 201, later.text

    assert client.get("/api/spaces", headers=narrowed).json() == []
    error_of(client.get("/api/spaces/finance/users", headers=narrowed), 404, "NotFound")
    listed = client.get("/api/tokens", headers=admin.headers).json()
    assert [t["space_ids"] for t in listed if t["id"] == issued.json()["id"]] == [[]]


def test_narrowing_a_token_to_a_space_one_cannot_see_does_not_reveal_it(
    client: TestClient, runtime: Runtime
) -> None:
    """Rule 3: a space the caller cannot see answers as one that does not exist."""
    admin = new_account(runtime)
    new_space(runtime, admin.account_id, "secret-project")
    dev = new_space(runtime, admin.account_id, "dev")
    member = new_user(runtime, admin.account_id, "bob@example.com")
    add_member(runtime, dev, member.user_id, "Space Member")

    hidden = client.post(
        "/api/token/longtoken", json={"spaces": ["secret-project"]}, headers=member.headers
    )
    missing = client.post(
        "/api/token/longtoken", json={"spaces": ["no-such-space"]}, headers=member.headers
    )

    assert error_of(hidden, 422)["message"] == "There is no space named 'secret-project'."
    assert error_of(missing, 422)["message"] == "There is no space named 'no-such-space'."
    visible = client.post("/api/token/longtoken", json={"spaces": ["dev"]}, headers=member.headers)
    assert visible.status_code == 201, visible.text
