"""Administration > Spaces through the TestClient: list, create, rename, delete with its
confirmation step, and who may do what."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from spacegate.db import transaction
from spacegate.runtime import Runtime
from spacegate.spaces.models import Space
from spacegate.spaces.service import COLORS, find_space
from tests.factories import Person, add_member, new_account, new_space, new_user
from tests.web.page_support import field_error, sign_in, submit, table_rows


@pytest.fixture
def admin(runtime: Runtime) -> Person:
    return new_account(runtime)


def _space(runtime: Runtime, account_id: int, name: str) -> Space | None:
    with transaction(runtime.sessions, write=False) as session:
        return find_space(session, account_id, name)


def test_the_list_shows_every_space(client: TestClient, runtime: Runtime, admin: Person) -> None:
    for name in ("beta", "alpha"):
        new_space(runtime, admin.account_id, name)
    sign_in(client, admin.email)
    page = client.get("/admin/spaces")
    assert page.status_code == 200, page.text
    assert 'aria-current="page">Spaces</a>' in page.text
    rows = table_rows(page.text, "spaces")
    assert [row[0][1] for row in rows[1:]] == ["alpha", "beta"]
    for color in COLORS:
        assert f'<option value="{color}"' in page.text


def test_create_rename_and_delete_a_space(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    token = sign_in(client, admin.email)
    created = submit(client, "/admin/spaces", token, {"name": "Payments", "color": "teal"})
    assert created.status_code == 303, created.text
    space = _space(runtime, admin.account_id, "Payments")
    assert space is not None and space.color == "teal"
    assert "Created the space Payments." in client.get("/admin/spaces").text

    form = client.get("/admin/spaces/Payments/rename")
    assert form.status_code == 200
    assert 'value="Payments"' in form.text
    renamed = submit(
        client, "/admin/spaces/Payments/rename", token, {"name": "Billing", "color": "purple"}
    )
    assert renamed.status_code == 303, renamed.text
    assert _space(runtime, admin.account_id, "Payments") is None
    billing = _space(runtime, admin.account_id, "Billing")
    assert billing is not None and billing.color == "purple"
    assert "Renamed the space Payments to Billing." in client.get("/admin/spaces").text

    member = new_user(runtime, admin.account_id, "dev@example.com")
    add_member(runtime, billing.id, member.user_id, "Space Member")
    confirm = client.get("/admin/spaces/Billing/delete")
    assert confirm.status_code == 200
    assert "Delete space Billing?" in confirm.text
    assert "Its memberships go with it." in confirm.text
    assert '<button type="submit" class="danger">Delete</button>' in confirm.text
    assert _space(runtime, admin.account_id, "Billing") is not None, "GET deletes nothing"

    deleted = submit(client, "/admin/spaces/Billing/delete", token)
    assert deleted.status_code == 303
    assert _space(runtime, admin.account_id, "Billing") is None
    assert "Deleted the space Billing" in client.get("/admin/spaces").text


def test_errors_are_shown_next_to_the_field(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    new_space(runtime, admin.account_id, "taken")
    new_space(runtime, admin.account_id, "other")
    token = sign_in(client, admin.email)

    clash = submit(client, "/admin/spaces", token, {"name": "TAKEN", "color": "red"})
    assert clash.status_code == 409
    assert field_error(clash.text, "name") == "A space named 'taken' already exists."
    assert 'value="TAKEN"' in clash.text
    assert '<option value="red" selected>' in clash.text

    empty = submit(client, "/admin/spaces", token, {"name": " ", "color": "red"})
    assert empty.status_code == 422
    assert field_error(empty.text, "name") == "The space name must not be empty."

    color = submit(client, "/admin/spaces", token, {"name": "fine", "color": "pink"})
    assert color.status_code == 422
    assert field_error(color.text, "color").startswith("'pink' is not a space color")
    assert _space(runtime, admin.account_id, "fine") is None

    rename = submit(client, "/admin/spaces/other/rename", token, {"name": "taken"})
    assert rename.status_code == 409
    assert field_error(rename.text, "name") == "A space named 'taken' already exists."
    assert _space(runtime, admin.account_id, "other") is not None


def test_unknown_spaces_are_not_found(client: TestClient, admin: Person) -> None:
    token = sign_in(client, admin.email)
    assert client.get("/admin/spaces/nowhere/delete").status_code == 404
    assert submit(client, "/admin/spaces/nowhere/delete", token).status_code == 404


def test_who_may_see_and_change_spaces(client: TestClient, runtime: Runtime, admin: Person) -> None:
    """A Space Admin sees no Administration: 403 on the list and on creating, and on
    renaming or deleting even their own space (that takes CREATE_SPACES)."""
    space_id = new_space(runtime, admin.account_id, "dev")
    lead = new_user(runtime, admin.account_id, "lead@example.com")
    add_member(runtime, space_id, lead.user_id, "Space Admin")
    token = sign_in(client, lead.email)

    denied = client.get("/admin/spaces")
    assert denied.status_code == 403
    assert "You can&#39;t do that here" in denied.text
    assert submit(client, "/admin/spaces", token, {"name": "mine"}).status_code == 403
    assert client.get("/admin/spaces/dev/delete").status_code == 403
    assert submit(client, "/admin/spaces/dev/delete", token).status_code == 403
    assert submit(client, "/admin/spaces/dev/rename", token, {"name": "x"}).status_code == 403
    assert _space(runtime, admin.account_id, "dev") is not None
    assert _space(runtime, admin.account_id, "mine") is None
    assert "Administration" not in client.get("/").text


def test_posts_without_the_csrf_token_are_refused(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    new_space(runtime, admin.account_id, "keep")
    sign_in(client, admin.email)
    for url, data in (
        ("/admin/spaces", {"name": "sneaky"}),
        ("/admin/spaces/keep/delete", {}),
        ("/admin/spaces/keep/rename", {"name": "gone"}),
    ):
        response = client.post(url, data=data, follow_redirects=False)
        assert response.status_code == 403, url
        assert "This form has expired or came from another site" in response.text
    assert _space(runtime, admin.account_id, "keep") is not None
    assert _space(runtime, admin.account_id, "sneaky") is None
