"""Driving console pages through the TestClient: signing in through the login form,
posting forms with their CSRF token, and reading tables out of the HTML."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

from fastapi.testclient import TestClient
from httpx2 import Response

from tests.factories import PASSWORD

_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
_TAGS = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"\s+")


def csrf_token(html: str) -> str:
    """The hidden `csrf_token` field of a page's forms."""
    found = _CSRF_FIELD.search(html)
    assert found, "the page has no form with a csrf_token field"
    return unescape(found.group(1))


def sign_in(client: TestClient, email: str, account: str = "acme") -> str:
    """Sign in through the login form (GET for the CSRF cookie and field, then POST);
    the client keeps the session cookie. Returns the CSRF token for later forms (the
    token is bound to the session: one from a page read after signing in)."""
    page = client.get("/login")
    assert page.status_code == 200, page.text
    assert client.cookies.get("spacegate_csrf"), "GET /login sets the CSRF cookie"
    token = csrf_token(page.text)
    response = client.post(
        "/login",
        data={"csrf_token": token, "account": account, "email": email, "password": PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert client.cookies.get("spacegate_session"), "signing in sets the session cookie"
    return csrf_token(client.get("/profile").text)


def submit(
    client: TestClient,
    url: str,
    token: str,
    data: dict[str, str | list[str]] | None = None,
) -> Response:
    """POST a console form with its CSRF token; redirects are not followed."""
    return client.post(url, data={"csrf_token": token, **(data or {})}, follow_redirects=False)


def text_of(html: str) -> str:
    """A fragment's visible text, whitespace collapsed."""
    return _SPACES.sub(" ", unescape(_TAGS.sub(" ", html))).strip()


def field_error(html: str, field: str) -> str:
    """The sentence shown next to a form field (the `field_error` macro), or ''."""
    found = re.search(rf'<p class="field-error" id="{re.escape(field)}-error">(.*?)</p>', html)
    return unescape(found.group(1)) if found else ""


class _TableReader(HTMLParser):
    """Rows of the table with a given id, each a list of (tag, text) cells."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id = table_id
        self.depth = 0  # >0 while inside the wanted table
        self.rows: list[list[tuple[str, str]]] = []
        self.cell: list[str] | None = None
        self.cell_tag = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and (self.depth or dict(attrs).get("id") == self.table_id):
            self.depth += 1
        elif self.depth and tag == "tr":
            self.rows.append([])
        elif self.depth and tag in ("td", "th"):
            self.cell, self.cell_tag = [], tag

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self.depth:
            self.depth -= 1
        elif self.depth and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append((self.cell_tag, _SPACES.sub(" ", "".join(self.cell)).strip()))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def table_rows(html: str, table_id: str) -> list[list[tuple[str, str]]]:
    reader = _TableReader(table_id)
    reader.feed(html)
    assert reader.rows, f"no table with id {table_id!r} on the page"
    return reader.rows
