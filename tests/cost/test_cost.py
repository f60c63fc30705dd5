"""Cost data: estimates from hourly costs, ingested records (JSON and CSV), reports
grouped by environment, blueprint, owner, day, tag and space, and who may see them."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from fastapi.testclient import TestClient

from spacegate.authz import Level, Permission
from spacegate.db import utcnow
from spacegate.runtime import Runtime
from tests.api_helpers import error_of
from tests.cloudaccounts.factories import Team
from tests.environments.factories import new_environment
from tests.factories import add_member, new_custom_role, new_space, new_user

COST = "/api/spaces/dev/cost"


def groups(response_json: dict[str, object]) -> dict[str | None, float]:
    found = response_json["groups"]
    assert isinstance(found, list)
    return {group["key"]: group["amount"] for group in found}


def test_view_cost_data_allowed_for_a_space_member_denied_without_it(
    client: TestClient, runtime: Runtime, team: Team
) -> None:
    new_custom_role(runtime, team.admin.account_id, "Viewer", Level.SPACE, [Permission.VIEW_SPACE])
    viewer = new_user(runtime, team.admin.account_id, "viewer@acme.example")
    add_member(runtime, team.space_id, viewer.user_id, "Viewer")
    new_environment(runtime, team.space_id, team.member, cost_per_hour=2.0)
    allowed = client.get(COST, headers=team.member.headers)
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["total"][0]["currency"] == "USD"
    assert allowed.json()["total"][0]["amount"] == pytest.approx(2.0, rel=0.05)
    denied = client.get(COST, headers=viewer.headers)
    assert "View cost data" in error_of(denied, 403, "Forbidden")["message"]
    error_of(client.get(COST, headers=team.outsider.headers), 404)
    error_of(client.get(COST, headers=team.stranger.headers), 404)


def test_estimates_are_split_by_day_and_grouped(
    client: TestClient, runtime: Runtime, team: Team
) -> None:
    """Three days of running at 1/hour; the first day from 01:00."""
    new_environment(
        runtime, team.space_id, team.member, name="long", cost_per_hour=1.0, launched_hours_ago=50
    )
    new_environment(
        runtime,
        team.space_id,
        team.developer,
        name="short",
        cost_per_hour=3.0,
        launched_hours_ago=1,
    )
    now = utcnow()
    by_day = client.get(COST, params={"group_by": "day"}, headers=team.member.headers).json()
    start = now - timedelta(hours=50)
    assert sum(groups(by_day).values()) == pytest.approx(53.0, abs=0.01)
    assert groups(by_day)[start.date().isoformat()] == pytest.approx(
        24 - (start.hour + start.minute / 60 + start.second / 3600), abs=0.01
    )
    by_owner = client.get(COST, params={"group_by": "owner"}, headers=team.member.headers).json()
    assert groups(by_owner) == pytest.approx(
        {team.member.email: 50.0, team.developer.email: 3.0}, abs=0.01
    )
    # A range that ends before the environments started holds nothing.
    old = client.get(
        COST, params={"from": "2020-01-01", "to": "2020-01-31"}, headers=team.member.headers
    ).json()
    assert old["groups"] == [] and old["total"] == []
    bad = client.get(COST, params={"group_by": "colour"}, headers=team.member.headers)
    assert "group_by must be one of" in error_of(bad, 422)["message"]


def test_cost_grouped_by_tag(client: TestClient, runtime: Runtime, team: Team) -> None:
    new_environment(runtime, team.space_id, team.member, cost_per_hour=1.0, tags={"team": "web"})
    new_environment(runtime, team.space_id, team.member, cost_per_hour=2.0, tags={"team": "web"})
    new_environment(runtime, team.space_id, team.member, cost_per_hour=4.0, tags={"team": "data"})
    new_environment(runtime, team.space_id, team.member, cost_per_hour=8.0)
    report = client.get(COST, params={"group_by": "tag:team"}, headers=team.member.headers)
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["group_by"] == "tag:team"
    assert [group["key"] for group in body["groups"]] == [None, "data", "web"]
    assert groups(body) == pytest.approx({None: 8.0, "data": 4.0, "web": 3.0}, rel=0.02)


def test_ingested_records_replace_estimates(
    client: TestClient, runtime: Runtime, team: Team
) -> None:
    now = utcnow()
    today = now.date()
    yesterday = today - timedelta(days=1)
    since_yesterday = now - datetime.combine(yesterday, time.min, tzinfo=UTC)
    environment_id = new_environment(
        runtime,
        team.space_id,
        team.member,
        cost_per_hour=1.0,
        launched_hours_ago=since_yesterday.total_seconds() / 3600 - 0.5,
    )
    body = {
        "records": [
            {"environment_id": environment_id, "date": yesterday.isoformat(), "amount": 100},
            {"environment_id": environment_id, "date": today.isoformat(), "amount": 7.5},
        ]
    }
    # Space admins do not connect billing; Account Admins (cloud accounts) do.
    denied = client.post("/api/cost/records", json=body, headers=team.space_admin.headers)
    assert "Add / Remove Cloud Accounts" in error_of(denied, 403)["message"]
    created = client.post("/api/cost/records", json=body, headers=team.admin.headers)
    assert created.json() == {"created": 2, "replaced": 0}, created.text
    csv = f"environment_id,date,amount,currency\n{environment_id},{today.isoformat()},9.25,USD\n"
    replaced = client.post(
        "/api/cost/records",
        content=csv,
        headers={**team.admin.headers, "Content-Type": "text/csv"},
    )
    assert replaced.json() == {"created": 0, "replaced": 1}, replaced.text
    report = client.get(COST, params={"group_by": "day"}, headers=team.member.headers).json()
    assert groups(report) == pytest.approx({yesterday.isoformat(): 100.0, today.isoformat(): 9.25})
    assert report["groups"][0]["ingested"] == 100.0 and report["groups"][0]["estimated"] == 0
    environment = client.get(
        f"/api/spaces/dev/environments/{environment_id}", headers=team.member.headers
    ).json()
    assert environment["cost"] == [{"amount": pytest.approx(109.25), "currency": "USD"}]

    unknown = client.post(
        "/api/cost/records",
        json=[{"environment_id": "nope", "date": "2025-01-01", "amount": 1}],
        headers=team.admin.headers,
    )
    assert "Record 1: there is no environment 'nope'" in error_of(unknown, 422)["message"]
    bad_csv = client.post(
        "/api/cost/records",
        content="env,day\nx,y\n",
        headers={**team.admin.headers, "Content-Type": "text/csv"},
    )
    assert "CSV header" in error_of(bad_csv, 422)["message"]


def test_account_cost_by_space_is_for_account_admins(
    client: TestClient, runtime: Runtime, team: Team
) -> None:
    other_space = new_space(runtime, team.admin.account_id, "ops")
    new_environment(runtime, team.space_id, team.member, cost_per_hour=1.0)
    new_environment(runtime, other_space, team.admin, cost_per_hour=5.0)
    report = client.get("/api/cost", headers=team.admin.headers)
    assert report.status_code == 200, report.text
    assert groups(report.json()) == pytest.approx({"ops": 5.0, "dev": 1.0}, rel=0.05)
    denied = client.get("/api/cost", headers=team.space_admin.headers)
    assert "Full access to all spaces" in error_of(denied, 403)["message"]
    theirs = client.get("/api/cost", headers=team.stranger.headers)
    assert theirs.json()["groups"] == []
