"""Administration > Audit log through the TestClient: the events of console actions,
the filters, the Older link, and who may read it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from spacegate.audit import service as audit
from spacegate.audit.models import AuditEvent
from spacegate.db import transaction
from spacegate.grants.context import Actor
from spacegate.runtime import Runtime
from spacegate.web.admin_audit import Change, as_text, changes
from tests.factories import Person, new_account, new_user
from tests.web.page_support import field_error, sign_in, submit, table_rows, text_of


@pytest.fixture
def admin(runtime: Runtime) -> Person:
    return new_account(runtime)


def _events(html: str) -> list[list[str]]:
    """The rows of the events table: time, actor, action, target, change."""
    return [[text for _, text in row] for row in table_rows(html, "events")[1:]]


def _record(
    runtime: Runtime, account_id: int, count: int, *, actor: str = "bot@example.com"
) -> None:
    with transaction(runtime.sessions) as session:
        for number in range(count):
            audit.record(
                session,
                Actor(account_id, actor),
                "test.tick",
                target_type="space",
                target=f"space-{number}",
            )


def test_console_actions_appear_readably(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    token = sign_in(client, admin.email)
    submit(client, "/admin/spaces", token, {"name": "ops", "color": "green"})
    submit(client, "/admin/spaces/ops/rename", token, {"name": "platform", "color": "green"})

    page = client.get("/admin/audit")
    assert page.status_code == 200, page.text
    assert 'aria-current="page">Audit log</a>' in page.text
    newest, older = _events(page.text)[:2]
    assert newest[1:4] == [admin.email, "space.update", "space platform"]
    assert "name: ops → changed to platform" in newest[4]
    assert "color: green" in newest[4]
    assert older[1:4] == [admin.email, "space.create", "space ops"]
    assert "color: green" in older[4]


def test_filters(client: TestClient, runtime: Runtime, admin: Person) -> None:
    _record(runtime, admin.account_id, 2)
    token = sign_in(client, admin.email)
    submit(client, "/admin/spaces", token, {"name": "ops"})
    with transaction(runtime.sessions) as session:  # the ticks happened last week
        session.execute(
            update(AuditEvent)
            .where(AuditEvent.action == "test.tick")
            .values(created_at=datetime.now(UTC) - timedelta(days=7))
        )
    today = datetime.now(UTC).date()

    by_actor = _events(client.get("/admin/audit", params={"actor": "BOT@example.com"}).text)
    assert {row[1] for row in by_actor} == {"bot@example.com"} and len(by_actor) == 2
    by_action = _events(client.get("/admin/audit", params={"action": "space.create"}).text)
    assert [row[3] for row in by_action] == ["space ops"]
    by_target = _events(client.get("/admin/audit", params={"target": "space-1"}).text)
    assert [row[3] for row in by_target] == ["space space-1"]
    one_day = {"from": today.isoformat(), "to": today.isoformat()}
    todays = {row[2] for row in _events(client.get("/admin/audit", params=one_day).text)}
    assert "space.create" in todays and "test.tick" not in todays
    last_week = {"to": (today - timedelta(days=1)).isoformat()}
    assert {row[2] for row in _events(client.get("/admin/audit", params=last_week).text)} == {
        "test.tick"
    }
    filtered = client.get("/admin/audit", params={"actor": "bot@example.com"}).text
    assert 'value="bot@example.com"' in filtered, "the filter keeps its values"

    nothing = client.get("/admin/audit", params={"actor": "nobody@example.com"})
    assert "No events match this filter." in text_of(nothing.text)


def test_date_errors_are_shown_next_to_their_field(client: TestClient, admin: Person) -> None:
    sign_in(client, admin.email)
    wrong = client.get("/admin/audit", params={"from": "yesterday"})
    assert wrong.status_code == 422
    assert field_error(wrong.text, "from") == "'yesterday' is not a date; use the form YYYY-MM-DD."
    backwards = client.get("/admin/audit", params={"from": "2026-02-02", "to": "2026-02-01"})
    assert field_error(backwards.text, "to") == "The end date is before the start date."


def test_pages_of_100_newest_first_with_an_older_link(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    _record(runtime, admin.account_id, 130)
    sign_in(client, admin.email)
    first = client.get("/admin/audit", params={"actor": "bot@example.com"})
    rows = _events(first.text)
    assert len(rows) == 100
    assert rows[0][3] == "space space-129" and rows[-1][3] == "space space-30"
    link = re.search(r'<a href="(/admin/audit\?[^"]+)" rel="next">Older</a>', first.text)
    assert link, "a full page links to the older events"
    assert "actor=bot%40example.com" in link.group(1), "the link keeps the filter"

    second = client.get(unescape(link.group(1)))
    rows = _events(second.text)
    assert [row[3] for row in rows] == [f"space space-{n}" for n in range(29, -1, -1)]
    assert 'rel="next"' not in second.text
    assert ">Newest</a>" in second.text


def test_only_administrators_read_the_log(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    member = new_user(runtime, admin.account_id, "member@example.com")
    sign_in(client, member.email)
    denied = client.get("/admin/audit")
    assert denied.status_code == 403
    assert "You need the Access the Administration area permission." in denied.text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "—"),
        (True, "yes"),
        (["VIEW_SPACE", "LAUNCH_SANDBOXES"], "VIEW_SPACE, LAUNCH_SANDBOXES"),
        ([], "none"),
        ({"space": "dev", "space_role": "Space Admin"}, "space: dev; space_role: Space Admin"),
        ("2027-02-25T03:47:07.204901+00:00", "2027-02-25 03:47 UTC"),
        ("2027-02-25T05:47:07+02:00", "2027-02-25 03:47 UTC"),
        ("Release Manager", "Release Manager"),
        (3, "3"),
    ],
)
def test_values_are_shown_readably(value: object, text: str) -> None:
    assert as_text(value) == text


def test_changes_pair_the_two_sides() -> None:
    assert changes({"name": "ops", "color": "green"}, {"name": "platform", "color": "green"}) == [
        Change("name", "ops", "platform"),
        Change("color", "green", "green"),
    ]
    assert [c.changed for c in changes({"a": 1, "b": 2}, {"b": 3, "c_d": 4})] == [
        False,
        True,
        False,
    ]
    assert changes(None, {"space_role": "Space Member"}) == [
        Change("space role", None, "Space Member")
    ]
