"""An account of many spaces: the menu lists the first ones and links to all, Home and
Administration > Spaces list them a page at a time (a page never renders them all)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from spacegate.runtime import Runtime
from spacegate.web.console import SIDEBAR_SPACES
from tests.factories import new_account, new_space
from tests.web.page_support import sign_in

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
