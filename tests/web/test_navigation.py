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
    assert _tabs(page.text) == (
        "Users Groups Roles Spaces Cloud Accounts Tags Identity provider Audit log"
    )
    assert '<a href="/admin" aria-current="page">Administration</a>' in page.text


def test_an_area_the_app_does_not_serve_is_left_out(runtime: Runtime) -> None:
    """An installation without a page for an area (here Groups, taken out of the app)
    shows no tab for it."""
    app = create_app(runtime=runtime)
    app.router.routes[:] = [
        route
        for route in app.router.routes
        if getattr(getattr(route, "original_router", None), "prefix", "") != "/admin/groups"
    ]
    admin = new_account(runtime)
    with TestClient(app) as client:
        sign_in(client, admin.email)
        assert _tabs(client.get("/admin").text) == (
            "Users Roles Spaces Cloud Accounts Tags Identity provider Audit log"
        )
