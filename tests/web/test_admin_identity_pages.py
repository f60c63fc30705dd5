"""Administration > Groups and Identity provider through the TestClient: forms that
work, refusals shown on the page, and a SCIM token shown once."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from spacegate.runtime import Runtime
from tests.factories import new_account, new_space, new_user
from tests.web.page_support import sign_in, submit, table_rows, text_of


def test_groups_pages(client: TestClient, runtime: Runtime) -> None:
    admin = new_account(runtime)
    new_user(runtime, admin.account_id, "bob@example.com")
    new_space(runtime, admin.account_id, "dev")
    token = sign_in(client, admin.email)
    created = submit(client, "/admin/groups/new", token, {"name": "Team", "idp_identifier": "team"})
    assert created.status_code == 303 and created.headers["location"] == "/admin/groups/Team"
    saved = submit(
        client,
        "/admin/groups/Team/edit",
        token,
        {
            "name": "Team",
            "idp_identifier": "team",
            "account_role": "",
            "space_name": ["dev", ""],
            "space_role": ["Space Admin", "Space Member"],
        },
    )
    assert saved.status_code == 303, saved.text
    added = submit(client, "/admin/groups/Team/members", token, {"email": "bob@example.com"})
    assert added.status_code == 303, added.text
    page = client.get("/admin/groups")
    rows = table_rows(page.text, "groups")
    assert [cell for _tag, cell in rows[1]][:4] == ["Team", "team", "", "dev: Space Admin"]
    refused = submit(client, "/admin/groups/new", token, {"name": "team"})
    assert refused.status_code == 409
    assert "A group named 'Team' already exists." in text_of(refused.text)
    missing = submit(client, "/admin/groups/Team/members", token, {"email": "ghost@example.com"})
    assert missing.status_code == 404 and "no user" in text_of(missing.text)
    assert (
        submit(
            client, "/admin/groups/Team/members/remove", token, {"email": "bob@example.com"}
        ).status_code
        == 303
    )
    assert submit(client, "/admin/groups/Team/delete", token).status_code == 303
    assert "No groups yet." in client.get("/admin/groups").text


def test_identity_provider_page(client: TestClient, runtime: Runtime) -> None:
    admin = new_account(runtime)
    token = sign_in(client, admin.email)
    page = client.get("/admin/idp")
    assert "Not connected" in page.text
    assert "http://127.0.0.1:8000/sso/acme/callback" in page.text
    refused = submit(
        client,
        "/admin/idp/oidc",
        token,
        {"issuer": "http://idp.example.com", "client_id": "c", "client_secret": "s"},
    )
    assert refused.status_code == 422 and "https://" in text_of(refused.text)
    unreachable = submit(
        client,
        "/admin/idp/oidc",
        token,
        {"issuer": "http://127.0.0.1:9", "client_id": "c", "client_secret": "s"},
    )
    assert unreachable.status_code == 502 and "could not be reached" in text_of(unreachable.text)

    created = submit(client, "/admin/idp/scim-tokens", token, {"name": "Okta"})
    assert created.status_code == 200
    secret = re.search(r"<code>(sg_[^<]+)</code>", created.text)
    assert secret is not None
    scim = client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {secret.group(1)}"})
    assert scim.status_code == 200
    again = client.get("/admin/idp")
    assert secret.group(1) not in again.text
    token_id = re.search(r'name="token_id" value="(\d+)"', again.text)
    assert token_id is not None
    assert (
        submit(
            client, "/admin/idp/scim-tokens/revoke", token, {"token_id": token_id.group(1)}
        ).status_code
        == 303
    )
    assert "No SCIM tokens." in client.get("/admin/idp").text
