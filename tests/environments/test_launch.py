"""Launching, reading, ending and extending environments through the API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from spacegate.authz import Level, Permission
from spacegate.db import utcnow
from spacegate.environments.executors.base import ExecutorError, GrainJob, GrainResult
from spacegate.runtime import Runtime
from tests.api_helpers import audit_events, error_of
from tests.cloudaccounts.factories import Team, new_cloud_account
from tests.environments.factories import (
    launch_body,
    new_environment,
    new_launchable,
    read,
    wait_for_status,
)
from tests.factories import add_member, new_custom_role, new_user

ENVIRONMENTS = "/api/spaces/dev/environments"
FINAL = {"Active", "Active With Error"}


def launch(client: TestClient, who: Any, **body: Any) -> str:
    response = client.post(ENVIRONMENTS, json=launch_body(**body), headers=who.headers)
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"id"}
    environment_id: str = response.json()["id"]
    return environment_id


def test_a_space_member_launches_a_sandbox_that_becomes_active_with_tagged_resources(
    client: TestClient, runtime: Runtime, team: Team
) -> None:
    new_launchable(runtime, team.space_id)
    environment_id = launch(client, team.member, name="demo")
    launching = read(client, "dev", environment_id, team.member)
    assert launching["details"]["definition"]["metadata"] == {
        "name": "demo",
        "blueprint_name": "web-app",
        "repository_name": "platform",
        "space_name": "dev",
        "owner_email": team.member.email,
    }
    runtime.environments.wait_idle()
    body = wait_for_status(client, "dev", environment_id, team.member, FINAL)
    assert body["details"]["computed_status"] == "Active", body["errors"]
    assert body["owner"] == {"email": team.member.email}
    assert body["production"] is False
    assert body["duration"] == "PT30M"
    # Defaults fill what was not given; the sensitive value never comes back.
    assert body["inputs"] == {
        "image_tag": "latest",
        "replicas": "2",
        "hostname": "web.example.com",
        "db_password": "********",
    }
    assert "s3cret-default" not in str(body)
    # One resource per grain, in dependency order, each carrying the resolved tags.
    assert [r["grain"] for r in body["resources"]] == ["db", "app"]
    system = {
        "spacegate-account": "acme",
        "spacegate-space": "dev",
        "spacegate-owner-email": team.member.email,
        "spacegate-environment-id": environment_id,
        "spacegate-blueprint": "web-app",
    }
    for resource in body["resources"]:
        assert resource["tags"] == system == body["tags"]
        assert resource["executor"] == "local"
    assert body["cost_per_hour"] == 0.75
    assert body["outputs"] == {"url": "https://web.example.com/"}
    assert body["cost"] and body["cost"][0]["currency"] == "USD"
    assert body["cost"][0]["amount"] >= 0
    assert "[local]" in body["log"]
    assert body["active_at"] is not None
    actions = [e["action"] for e in audit_events(client, team.admin, target=environment_id)]
    assert actions == ["environment.launch"]


def test_inputs_are_checked_against_the_blueprint(
    client: TestClient, runtime: Runtime, team: Team
) -> None:
    new_launchable(runtime, team.space_id)
    cases = [
        ({}, "The input 'hostname' is required"),
        ({"hostname": "h", "replicas": "7"}, "cannot be '7'; choose one of: 1, 2, 3"),
        ({"hostname": "h", "replicas": "two"}, "must be a number"),
        ({"hostname": "h", "colour": "red"}, "no input named 'colour'"),
    ]
    for inputs, message in cases:
        body = {**launch_body(), "inputs": inputs}
        response = client.post(ENVIRONMENTS, json=body, headers=team.member.headers)
        assert message in error_of(response, 422, "InvalidInput")["message"], inputs
    bad_duration = client.post(
        ENVIRONMENTS, json=launch_body(duration="two hours"), headers=team.member.headers
    )
    assert "ISO 8601" in error_of(bad_duration, 422)["message"]
    numeric = client.post(
        ENVIRONMENTS,
        json={**launch_body(), "inputs": {"hostname": "h", "replicas": 3}},
        headers=team.member.headers,
    )
    assert numeric.status_code == 200, numeric.text


def test_only_publishers_launch_unpublished_blueprints(
    client: TestClient, runtime: Runtime, team: Team
) -> None:
    new_launchable(runtime, team.space_id, published=False)
    refused = client.post(ENVIRONMENTS, json=launch_body(), headers=team.member.headers)
    assert "not published" in error_of(refused, 403, "Forbidden")["message"]
    allowed = client.post(ENVIRONMENTS, json=launch_body(), headers=team.space_admin.headers)
    assert allowed.status_code == 200, allowed.text


def test_launch_sandboxes_allowed_for_a_space_member_denied_without_the_permission(
    client: TestClient, runtime: Runtime, team: Team
) -> None:
    new_launchable(runtime, team.space_id)
    new_custom_role(runtime, team.admin.account_id, "Viewer", Level.SPACE, [Permission.VIEW_SPACE])
    viewer = new_user(runtime, team.admin.account_id, "viewer@acme.example")
    add_member(runtime, team.space_id, viewer.user_id, "Viewer")
    assert client.post(ENVIRONMENTS, json=launch_body(), headers=team.member.headers).is_success
    runtime.environments.wait_idle()
    denied = client.post(ENVIRONMENTS, json=launch_body(), headers=viewer.headers)
    assert "Launch sandboxes" in error_of(denied, 403, "Forbidden")["message"]
    hidden = client.post(ENVIRONMENTS, json=launch_body(), headers=team.outsider.headers)
    error_of(hidden, 404)
    # The viewer still sees the space's environments.
    listed = client.get(ENVIRONMENTS, headers=viewer.headers)
    assert listed.status_code == 200 and len(listed.json()) == 1


def test_production_is_for_space_developers_not_space_members(
    client: TestClient, runtime: Runtime, team: Team
) -> None:
    new_launchable(runtime, team.space_id)
    denied = client.post(
        ENVIRONMENTS, json=launch_body(production=True), headers=team.member.headers
    )
    assert "Manage production environments" in error_of(denied, 403)["message"]
    environment_id = launch(client, team.developer, production=True)
    runtime.environments.wait_idle()
    path = f"{ENVIRONMENTS}/{environment_id}"
    later = (utcnow() + timedelta(hours=3)).isoformat()
    # The member sees it but can neither extend nor end it.
    assert read(client, "dev", environment_id, team.member)["production"] is True
    error_of(
        client.put(
            f"{path}/scheduled_end_time", params={"value": later}, headers=team.member.headers
        ),
        403,
    )
    error_of(client.delete(path, headers=team.member.headers), 403)
    extended = client.put(
        f"{path}/scheduled_end_time", params={"value": later}, headers=team.developer.headers
    )
    assert extended.status_code == 200, extended.text
    assert extended.json()["scheduled_end_time"].startswith(later[:16])
    ended = client.delete(path, headers=team.developer.headers)
    assert ended.status_code == 200, ended.text
    assert ended.json()["details"]["computed_status"] == "Terminating"
    runtime.environments.wait_idle()
    body = read(client, "dev", environment_id, team.developer)
    assert body["details"]["computed_status"] == "Ended"
    assert body["ended_by"] == team.developer.email
    assert all(r["removed_at"] for r in body["resources"])
    again = client.delete(path, headers=team.developer.headers)
    assert "already ended" in error_of(again, 409)["message"]


def test_owners_end_and_extend_their_sandboxes_others_need_manage_production(
    client: TestClient, runtime: Runtime, team: Team
) -> None:
    mine = new_environment(runtime, team.space_id, team.member, name="mine")
    other = new_user(runtime, team.admin.account_id, "other@acme.example")
    add_member(runtime, team.space_id, other.user_id, "Space Member")
    path = f"{ENVIRONMENTS}/{mine}"
    later = (utcnow() + timedelta(hours=5)).isoformat()

    error_of(
        client.put(f"{path}/scheduled_end_time", params={"value": later}, headers=other.headers),
        403,
    )
    message = error_of(client.delete(path, headers=other.headers), 403)["message"]
    assert team.member.email in message
    own = client.put(
        f"{path}/scheduled_end_time", params={"value": later}, headers=team.member.headers
    )
    assert own.status_code == 200, own.text
    past = client.put(
        f"{path}/scheduled_end_time",
        params={"value": "2020-01-01T00:00:00Z"},
        headers=team.member.headers,
    )
    assert "future" in error_of(past, 422)["message"]
    assert client.delete(path, headers=team.member.headers).status_code == 200

    theirs = new_environment(runtime, team.space_id, other, name="theirs")
    by_developer = client.delete(f"{ENVIRONMENTS}/{theirs}", headers=team.developer.headers)
    assert by_developer.status_code == 200, by_developer.text
    runtime.environments.wait_idle()
    assert read(client, "dev", theirs, other)["details"]["computed_status"] == "Ended"


def test_the_list_has_torques_shape_and_filters(
    client: TestClient, runtime: Runtime, team: Team
) -> None:
    new_environment(runtime, team.space_id, team.member, name="member-env")
    new_environment(runtime, team.space_id, team.developer, name="developer-env")
    everything = client.get(ENVIRONMENTS, headers=team.member.headers)
    assert everything.status_code == 200, everything.text
    assert [e["details"]["definition"]["metadata"]["name"] for e in everything.json()] == [
        "developer-env",
        "member-env",
    ]
    for item in everything.json():
        assert item["details"]["computed_status"] == "Active"
        assert item["id"] == item["details"]["id"]
    mine = client.get(
        ENVIRONMENTS, params={"filter": "my", "count": 25}, headers=team.member.headers
    )
    assert [e["name"] for e in mine.json()] == ["member-env"]
    page = client.get(ENVIRONMENTS, params={"limit": 1}, headers=team.member.headers)
    assert len(page.json()) == 1 and page.headers["X-Next-Cursor"]
    rest = client.get(
        ENVIRONMENTS,
        params={"limit": 1, "cursor": page.headers["X-Next-Cursor"]},
        headers=team.member.headers,
    )
    assert [e["name"] for e in rest.json()] == ["member-env"]
    unknown = client.get(f"{ENVIRONMENTS}/nope", headers=team.member.headers)
    error_of(unknown, 404, "NotFound")


class Failing:
    name = "failing"

    def handles(self, kind: str) -> bool:
        return True

    def deploy(self, job: GrainJob) -> GrainResult:
        if job.grain == "app":
            raise ExecutorError("the cluster refused the chart.", "helm: error: quota exceeded\n")
        return GrainResult({"grain": job.grain, "executor": "local", "tags": {}}, {}, "ok\n")

    def destroy(self, job: GrainJob, resource: Any) -> str:
        return "removed\n"


def test_a_failed_launch_keeps_the_error_and_the_log(
    client: TestClient, runtime: Runtime, team: Team, monkeypatch: Any
) -> None:
    new_launchable(runtime, team.space_id)
    monkeypatch.setattr(runtime.environments.runner, "executor_for", lambda kind: Failing())
    environment_id = launch(client, team.member)
    runtime.environments.wait_idle()
    body = read(client, "dev", environment_id, team.member)
    assert body["details"]["computed_status"] == "Active With Error"
    assert body["errors"][0]["grain"] == "app"
    assert body["errors"][0]["message"] == "the cluster refused the chart."
    assert "quota exceeded" in body["log"]
    assert client.delete(f"{ENVIRONMENTS}/{environment_id}", headers=team.member.headers).is_success
    runtime.environments.wait_idle()
    assert read(client, "dev", environment_id, team.member)["details"]["computed_status"] == "Ended"


def test_a_cloud_account_in_use_cannot_be_deleted_until_its_environments_end(
    client: TestClient, runtime: Runtime, team: Team
) -> None:
    new_launchable(runtime, team.space_id)
    new_cloud_account(runtime, team.admin.account_id, "aws-dev", (team.space_id,))
    new_cloud_account(runtime, team.admin.account_id, "aws-elsewhere")
    refused = client.post(
        ENVIRONMENTS, json=launch_body(cloud_account="aws-elsewhere"), headers=team.member.headers
    )
    assert "not allowed in space 'dev'" in error_of(refused, 422)["message"]
    environment_id = launch(client, team.member, cloud_account="aws-dev")
    runtime.environments.wait_idle()
    assert read(client, "dev", environment_id, team.member)["cloud_account"] == "aws-dev"
    in_use = client.delete("/api/settings/cloudaccounts/aws-dev", headers=team.admin.headers)
    assert environment_id in error_of(in_use, 409)["message"]
    client.delete(f"{ENVIRONMENTS}/{environment_id}", headers=team.member.headers)
    runtime.environments.wait_idle()
    gone = client.delete("/api/settings/cloudaccounts/aws-dev", headers=team.admin.headers)
    assert gone.status_code == 204, gone.text
