"""An account of many spaces: the menu lists the first ones and links to all, Home and
Administration > Spaces list them a page at a time (a page never renders them all), and
the forms that take a space reach every one of them while suggesting only the first."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from spacegate.db import transaction
from spacegate.invitations.models import Invitation
from spacegate.runtime import Runtime
from spacegate.web import console
from spacegate.web.console import SIDEBAR_SPACES
from tests.factories import new_account, new_space
from tests.web.page_support import sign_in, submit, text_of

SPACES = 130


def _menu_spaces(html: str) -> list[str]:
    menu = re.search(r'<nav class="sidebar" id="menu" aria-label="Main">(.*?)</nav>', html, re.S)
    assert menu is not None
    return re.findall(r'href="/spaces/([^"/]+)"', menu.group(1))


def test_the_menu_home_and_administration_page_the_spaces(
    client: TestClient, runtime: Runtime
) -> None:
    admin = new_account(runtime)
    names = [f"space-{number:03d}" for number in range(SPACES)]
    for name in names:
        new_space(runtime, admin.account_id, name)
    sign_in(client, admin.email)

    home = client.get("/")
    assert _menu_spaces(home.text) == names[:SIDEBAR_SPACES]
    assert "All my spaces" in home.text
    listed = re.findall(r'<tr><td><a href="/spaces/([^"]+)"', home.text)
    assert listed == names[:50]
    following = re.search(r'href="/\?after=([^"#]+)#my-spaces"', home.text)
    assert following is not None
    second = client.get(f"/?after={following.group(1)}")
    assert re.findall(r'<tr><td><a href="/spaces/([^"]+)"', second.text) == names[50:100]

    # A space's own page shows it in the menu, wherever it falls.
    last = client.get(f"/spaces/{names[-1]}")
    assert last.status_code == 200
    assert names[-1] in _menu_spaces(last.text)

    admin_page = client.get("/admin/spaces")
    rows = re.findall(r'<td><a href="/spaces/([^"]+)"><span class="dot', admin_page.text)
    assert rows == names[:100]
    more = re.search(r'href="/admin/spaces\?after=([^"]+)"', admin_page.text)
    assert more is not None
    rest = client.get(f"/admin/spaces?after={more.group(1)}")
    rows = re.findall(r'<td><a href="/spaces/([^"]+)"><span class="dot', rest.text)
    assert rows == names[100:]


def _suggested(html: str) -> list[str]:
    found = re.search(r'<datalist id="space-names">(.*?)</datalist>', html, re.S)
    assert found is not None
    return re.findall(r'<option value="([^"]+)">', found.group(1))


def test_space_fields_suggest_the_first_spaces_and_take_any(
    client: TestClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console, "SPACE_SUGGESTIONS", 80)
    admin = new_account(runtime)
    names = [f"space-{number:03d}" for number in range(SPACES)]
    for name in names:
        new_space(runtime, admin.account_id, name)
    token = sign_in(client, admin.email)
    last = names[-1]  # beyond the menu's spaces and beyond the suggestions

    form = client.get("/admin/users/invite")
    assert _suggested(form.text) == names[:80]
    sent = submit(
        client,
        "/admin/users/invite",
        token,
        {"emails": "kim@example.com", "space_name": [last, ""], "space_role": ["Space Admin"] * 2},
    )
    assert sent.status_code == 303, sent.text
    with transaction(runtime.sessions) as session:
        invitation = session.scalars(
            select(Invitation).where(Invitation.email == "kim@example.com")
        ).one()
        assert [(grant.space_name, grant.role) for grant in invitation.grants] == [
            (last, "Space Admin")
        ]

    assert submit(client, "/admin/groups/new", token, {"name": "Team"}).status_code == 303
    group_page = client.get("/admin/groups/Team")
    assert _suggested(group_page.text) == names[:80]

    def give_the_group(space: str) -> Response:
        return submit(
            client,
            "/admin/groups/Team/edit",
            token,
            {
                "name": "Team",
                "account_role": "",
                "space_name": [space],
                "space_role": ["Space Member"],
            },
        )

    saved = give_the_group(last)
    assert saved.status_code == 303, saved.text
    assert f'value="{last}"' in client.get("/admin/groups/Team").text

    unknown = give_the_group("nowhere")
    assert unknown.status_code == 422
    assert "There is no space named 'nowhere'." in text_of(unknown.text)
