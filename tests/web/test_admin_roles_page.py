"""Administration > Roles through the TestClient: the matrix drawn from the catalog,
and the custom-role editor (create from a template, edit, delete, refusals)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from spacegate.authz import CATALOG, BuiltinRole, Level, Permission
from spacegate.authz.catalog import (
    BUILTIN_ROLE_LEVELS,
    builtin_role_permissions,
    permissions_allowed_for_level,
)
from spacegate.db import transaction
from spacegate.roles.service import find_role
from spacegate.runtime import Runtime
from tests.factories import Person, add_member, new_account, new_custom_role, new_space, new_user
from tests.web.page_support import field_error, sign_in, submit, table_rows, text_of


@pytest.fixture
def admin(runtime: Runtime) -> Person:
    return new_account(runtime)


def _role(runtime: Runtime, account_id: int, name: str) -> frozenset[Permission] | None:
    with transaction(runtime.sessions, write=False) as session:
        role = find_role(session, account_id, name)
        return role.permissions if role else None


def _matrix(html: str) -> tuple[list[str], dict[str, list[str]]]:
    """The matrix's column headers, and each permission row's cells by its label."""
    rows = table_rows(html, "matrix")
    headers = [text for _, text in rows[0]]
    cells = {
        row[0][1]: [text for _, text in row[1:]]
        for row in rows[1:]
        if len(row) > 1  # the level bands are one header cell wide
    }
    return headers, cells


def test_the_matrix_shows_the_catalog_for_every_built_in_role(
    client: TestClient, admin: Person
) -> None:
    sign_in(client, admin.email)
    response = client.get("/admin/roles")
    assert response.status_code == 200, response.text
    assert 'aria-current="page">Roles</a>' in response.text
    headers, cells = _matrix(response.text)
    # The rows the seed states only in its text are marked as spacegate's additions.
    assert list(cells) == [
        spec.label + ("" if spec.from_seed_table else " beyond the seed")
        for spec in sorted(CATALOG, key=lambda s: s.level != Level.ACCOUNT)
    ]
    cells = {label.removesuffix(" beyond the seed"): row for label, row in cells.items()}
    seed_names = {"Admin": "Account Admin", "Member": "Account Member"}  # as the seed says
    for role in BuiltinRole:
        name = seed_names.get(role.value, role.value)
        column = headers.index(f"{name} {BUILTIN_ROLE_LEVELS[role].value}") - 1
        held = builtin_role_permissions(role)
        for spec in CATALOG:
            expected = "●Yes" if spec.id in held else "No"
            assert cells[spec.label][column] == expected, (role, spec.id)


def test_custom_roles_are_columns_of_the_matrix(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    chosen = [Permission.VIEW_SPACE, Permission.VIEW_COST_DATA]
    new_custom_role(runtime, admin.account_id, "Auditor", Level.SPACE, chosen)
    sign_in(client, admin.email)
    headers, cells = _matrix(client.get("/admin/roles").text)
    cells = {label.removesuffix(" beyond the seed"): row for label, row in cells.items()}
    column = headers.index("Auditor space, custom") - 1
    for spec in CATALOG:
        assert cells[spec.label][column] == ("●Yes" if spec.id in chosen else "No"), spec.id


def test_create_a_role_from_a_template(client: TestClient, runtime: Runtime, admin: Person) -> None:
    token = sign_in(client, admin.email)
    form = client.get("/admin/roles/new", params={"level": "space", "template": "Space Admin"})
    assert form.status_code == 200, form.text
    ticked = {spec.id.value for spec in CATALOG if f'value="{spec.id.value}" checked' in form.text}
    assert ticked == {p.value for p in builtin_role_permissions(BuiltinRole.SPACE_ADMIN)}
    # A space role is offered space permissions only.
    offered = {spec.id for spec in CATALOG if f'value="{spec.id.value}"' in form.text}
    assert offered == permissions_allowed_for_level(Level.SPACE)

    kept = sorted(ticked - {Permission.MANAGE_SPACE_USERS.value})
    response = submit(
        client,
        "/admin/roles/new",
        token,
        {"name": "Release Manager", "description": "Ships.", "level": "space", "permissions": kept},
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/admin/roles"
    assert _role(runtime, admin.account_id, "Release Manager") == frozenset(
        Permission(p) for p in kept
    )
    page = client.get("/admin/roles")
    assert "Created the space role Release Manager." in page.text
    assert "Release Manager space, custom" in _matrix(page.text)[0]


def test_an_account_role_is_offered_every_permission(client: TestClient, admin: Person) -> None:
    sign_in(client, admin.email)
    form = client.get("/admin/roles/new", params={"level": "account", "template": "Admin"})
    offered = {spec.id for spec in CATALOG if f'value="{spec.id.value}" checked' in form.text}
    assert offered == builtin_role_permissions(BuiltinRole.ADMIN)


def test_errors_are_shown_next_to_their_field_with_the_values_kept(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    new_custom_role(runtime, admin.account_id, "Taken", Level.SPACE, [Permission.VIEW_SPACE])
    token = sign_in(client, admin.email)
    data: dict[str, str | list[str]] = {
        "name": "  ",
        "description": "kept text",
        "level": "space",
        "permissions": ["VIEW_SPACE"],
    }
    empty = submit(client, "/admin/roles/new", token, data)
    assert empty.status_code == 422
    assert field_error(empty.text, "name") == "The role name must not be empty."
    assert "kept text" in empty.text
    assert 'value="VIEW_SPACE" checked' in empty.text

    taken = submit(client, "/admin/roles/new", token, {**data, "name": "taken"})
    assert taken.status_code == 409
    assert field_error(taken.text, "name") == "A role named 'taken' already exists."
    assert 'value="taken"' in taken.text

    wrong_level = submit(
        client,
        "/admin/roles/new",
        token,
        {**data, "name": "Fresh", "permissions": ["CREATE_SPACES"]},
    )
    assert wrong_level.status_code == 422
    assert "a space role cannot hold it" in field_error(wrong_level.text, "permissions")
    assert _role(runtime, admin.account_id, "Fresh") is None

    unknown = client.get("/admin/roles/new", params={"template": "Nope"})
    assert field_error(unknown.text, "template") == "There is no role named 'Nope' to start from."


def test_edit_a_custom_role(client: TestClient, runtime: Runtime, admin: Person) -> None:
    new_custom_role(runtime, admin.account_id, "Viewer", Level.SPACE, [Permission.VIEW_SPACE])
    token = sign_in(client, admin.email)
    form = client.get("/admin/roles/Viewer")
    assert form.status_code == 200, form.text
    assert 'value="VIEW_SPACE" checked' in form.text
    assert 'value="Viewer"' in form.text

    response = submit(
        client,
        "/admin/roles/Viewer",
        token,
        {"name": "Cost Viewer", "description": "", "permissions": ["VIEW_SPACE", "VIEW_COST_DATA"]},
    )
    assert response.status_code == 303, response.text
    assert _role(runtime, admin.account_id, "Viewer") is None
    assert _role(runtime, admin.account_id, "Cost Viewer") == frozenset(
        {Permission.VIEW_SPACE, Permission.VIEW_COST_DATA}
    )
    # Unticking every box leaves a role with no permission.
    assert (
        submit(client, "/admin/roles/Cost%20Viewer", token, {"name": "Cost Viewer"}).status_code
        == 303
    )
    assert _role(runtime, admin.account_id, "Cost Viewer") == frozenset()


def test_built_in_roles_cannot_be_edited(client: TestClient, admin: Person) -> None:
    token = sign_in(client, admin.email)
    page = client.get("/admin/roles/Space%20Admin")
    assert page.status_code == 403
    assert "built-in roles cannot be changed" in page.text
    assert submit(client, "/admin/roles/Admin/delete", token).status_code == 403
    assert client.get("/admin/roles/Nothing").status_code == 404


def test_delete_a_role_and_the_refusal_while_it_is_assigned(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    new_custom_role(runtime, admin.account_id, "Helper", Level.SPACE, [Permission.VIEW_SPACE])
    space_id = new_space(runtime, admin.account_id, "dev")
    user = new_user(runtime, admin.account_id, "helper@example.com")
    add_member(runtime, space_id, user.user_id, "Helper")
    token = sign_in(client, admin.email)

    refused = submit(client, "/admin/roles/Helper/delete", token, {"confirmed": "yes"})
    assert refused.status_code == 409
    assert "still assigned" in refused.text
    assert "<li>space role of helper@example.com in space &#39;dev&#39;</li>" in refused.text
    assert _role(runtime, admin.account_id, "Helper") is not None

    new_custom_role(runtime, admin.account_id, "Unused", Level.SPACE, [])
    asked = submit(client, "/admin/roles/Unused/delete", token)
    assert asked.status_code == 200  # without the script's confirmation, a page asks first
    assert "Delete the role Unused?" in asked.text
    assert _role(runtime, admin.account_id, "Unused") is not None
    deleted = submit(client, "/admin/roles/Unused/delete", token, {"confirmed": "yes"})
    assert deleted.status_code == 303
    assert _role(runtime, admin.account_id, "Unused") is None
    assert "Deleted the role Unused." in client.get("/admin/roles").text


def test_who_may_see_and_change_roles(client: TestClient, runtime: Runtime, admin: Person) -> None:
    """The matrix needs ACCESS_ADMINISTRATION; the editor needs CREATE_ROLES. A custom
    account role with the first only sees the matrix without the New role button."""
    new_custom_role(
        runtime, admin.account_id, "Observer", Level.ACCOUNT, [Permission.ACCESS_ADMINISTRATION]
    )
    new_user(runtime, admin.account_id, "observer@example.com", custom_account_role="Observer")
    new_user(runtime, admin.account_id, "member@example.com")

    token = sign_in(client, "observer@example.com")
    page = client.get("/admin/roles")
    assert page.status_code == 200
    assert "New role" not in page.text
    assert client.get("/admin/roles/new").status_code == 403
    refused = submit(client, "/admin/roles/new", token, {"name": "X", "level": "space"})
    assert refused.status_code == 403
    assert "Create Roles" in text_of(refused.text)

    client.cookies.clear()
    sign_in(client, "member@example.com")
    denied = client.get("/admin/roles")
    assert denied.status_code == 403
    assert "You can&#39;t do that here" in denied.text
    assert 'href="/admin/roles"' not in client.get("/").text


def test_posts_without_the_csrf_token_are_refused(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    sign_in(client, admin.email)
    response = client.post(
        "/admin/roles/new", data={"name": "Sneaky", "level": "space"}, follow_redirects=False
    )
    assert response.status_code == 403
    assert "This form has expired or came from another site" in response.text
    assert _role(runtime, admin.account_id, "Sneaky") is None


def test_signed_out_visitors_are_sent_to_sign_in(client: TestClient, admin: Person) -> None:
    response = client.get("/admin/roles", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/admin/roles"


def test_no_role_with_permissions_the_creator_lacks(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    """Rule 4 in the editor: the refusal is shown next to the permissions."""
    maker = [Permission.ACCESS_ADMINISTRATION, Permission.CREATE_ROLES, Permission.VIEW_SPACE]
    new_custom_role(runtime, admin.account_id, "Role Maker", Level.ACCOUNT, maker)
    new_user(runtime, admin.account_id, "maker@example.com", custom_account_role="Role Maker")
    token = sign_in(client, "maker@example.com")
    data: dict[str, str | list[str]] = {
        "name": "Bigger",
        "level": "space",
        "permissions": ["VIEW_SPACE", "MANAGE_SPACE_USERS"],
    }
    refused = submit(client, "/admin/roles/new", token, data)
    assert refused.status_code == 403
    assert field_error(refused.text, "permissions") == (
        "You cannot create a role with permissions you do not hold: MANAGE_SPACE_USERS."
    )
    assert _role(runtime, admin.account_id, "Bigger") is None
    allowed = submit(client, "/admin/roles/new", token, {**data, "permissions": ["VIEW_SPACE"]})
    assert allowed.status_code == 303
