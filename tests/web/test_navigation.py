"""The console's menus are data (web/navigation.py): Administration's tabs are the areas
this app serves, so an area added later (Groups) shows as soon as its page exists."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from spacegate.app import create_app
from spacegate.runtime import Runtime
from tests.factories import new_account
from tests.web.page_support import sign_in, text_of


def _tabs(html: str) -> str:
    found = re.search(r'<nav class="tabs" aria-label="Administration">(.*?)</nav>', html, re.S)
    assert found is not None
    return text_of(found.group(1))


def test_administration_lists_the_areas_it_serves(client: TestClient, runtime: Runtime) -> None:
    admin = new_account(runtime)
    sign_in(client, admin.email)
    page = client.get("/admin")
    assert page.status_code == 200
    assert _tabs(page.text) == "Users Roles Spaces Cloud Accounts Tags Audit log"
    assert '<a href="/admin" aria-current="page">Administration</a>' in page.text


def test_a_groups_page_adds_its_tab(runtime: Runtime) -> None:
    app = create_app(runtime=runtime)

    @app.get("/admin/groups", include_in_schema=False)
    def groups() -> dict[str, str]:  # a stand-in for the Groups page, not yet built
        return {}

    admin = new_account(runtime)
    with TestClient(app) as client:
        sign_in(client, admin.email)
        assert _tabs(client.get("/admin").text) == (
            "Users Groups Roles Spaces Cloud Accounts Tags Audit log"
        )
