"""Console input: bad or unusual input is a page, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from spacegate.authz import Level, Permission
from spacegate.runtime import Runtime
from tests.factories import new_account, new_custom_role, new_user
from tests.web.page_support import sign_in, submit


def test_a_flash_message_with_any_unicode_is_shown(client: TestClient, runtime: Runtime) -> None:
    """The flash cookie carried the message raw; a character beyond Latin-1 (a Cyrillic
    role name here) made the header unencodable: a 500, and the change rolled back."""
    owner = new_account(runtime)
    new_custom_role(
        runtime, owner.account_id, "Разработчик", Level.ACCOUNT, [Permission.CREATE_SPACES]
    )
    new_user(runtime, owner.account_id, "bob@example.com")
    token = sign_in(client, owner.email)
    changed = submit(
        client,
        "/admin/users/role",
        token,
        {"email": "bob@example.com", "account_role": "Разработчик", "confirmed": "yes"},
    )
    assert changed.status_code == 303, changed.text
    page = client.get(changed.headers["location"])
    assert page.status_code == 200, page.text
    assert "bob@example.com is now Разработчик." in page.text


def test_a_flash_message_keeps_quotes_and_semicolons(client: TestClient, runtime: Runtime) -> None:
    owner = new_account(runtime)
    new_custom_role(runtime, owner.account_id, 'Ops; "x"', Level.ACCOUNT, [])
    new_user(runtime, owner.account_id, "bob@example.com")
    token = sign_in(client, owner.email)
    changed = submit(
        client, "/admin/users/role", token, {"email": "bob@example.com", "account_role": 'Ops; "x"'}
    )
    assert changed.status_code == 303, changed.text
    page = client.get(changed.headers["location"])
    assert "bob@example.com is now Ops; &#34;x&#34;." in page.text


def test_revoking_a_token_with_a_huge_id_is_not_a_500(client: TestClient, runtime: Runtime) -> None:
    owner = new_account(runtime)
    token = sign_in(client, owner.email)
    response = submit(client, "/profile/tokens/revoke", token, {"token_id": str(10**30)})
    assert response.status_code in (404, 422), response.text


@pytest.mark.parametrize("query", ["to=9999-12-31", "from=2020-01-01&to=9999-12-31"])
def test_the_audit_page_takes_the_last_day_of_the_calendar(
    client: TestClient, runtime: Runtime, query: str
) -> None:
    owner = new_account(runtime)
    sign_in(client, owner.email)
    page = client.get(f"/admin/audit?{query}")
    assert page.status_code == 200, page.text
    assert "account.create" in page.text


def test_an_audited_value_that_looks_like_a_time_but_is_not_one_is_shown(
    client: TestClient, runtime: Runtime
) -> None:
    """A role named like an ISO time (month 13) broke the audit page for everyone."""
    owner = new_account(runtime)
    created = client.post(
        "/api/settings/roles",
        headers=owner.headers,
        json={
            "name": "2024-13-45T10:00",
            "level": "space",
            "description": "0001-01-01T00:00+05:00",
        },
    )
    assert created.status_code == 201, created.text
    sign_in(client, owner.email)
    page = client.get("/admin/audit")
    assert page.status_code == 200, page.text
    assert "2024-13-45T10:00" in page.text
    assert "0001-01-01T00:00+05:00" in page.text
