"""The blueprint list, publishing, and the catalog a Space Member browses."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from spacegate.runtime import Runtime
from tests.api_helpers import audit_events, error_of
from tests.blueprints.factories import new_blueprint, new_repository
from tests.blueprints.gitrepo import Origin, example_origin
from tests.cloudaccounts.factories import Team, aws_body

SPACE = "/api/spaces/dev"


@pytest.fixture
def origin(tmp_path_factory: pytest.TempPathFactory) -> Origin:
    return example_origin(tmp_path_factory.mktemp("origin") / "platform")


def test_admin_adds_cloud_account_space_admin_publishes_member_browses(
    client: TestClient, team: Team, origin: Origin
) -> None:
    """The issue's "done when", through the API."""
    added = client.post(
        "/api/settings/cloudaccounts", json=aws_body(spaces=["dev"]), headers=team.admin.headers
    )
    assert added.status_code == 201, added.text

    space_admin = team.space_admin.headers
    connected = client.post(
        f"{SPACE}/repositories",
        json={"name": "platform", "url": origin.url, "branch": "main"},
        headers=space_admin,
    )
    assert connected.status_code == 201, connected.text
    synced = client.post(f"{SPACE}/repositories/platform/sync", headers=space_admin)
    assert synced.json()["status"] == "ok", synced.text
    published = client.post(
        f"{SPACE}/catalog",
        json={"blueprint_name": "s3-bucket", "repository_name": "platform"},
        headers=space_admin,
    )
    assert published.status_code == 200, published.text

    member = team.member.headers
    catalog = client.get(f"{SPACE}/catalog", headers=member)
    assert catalog.status_code == 200, catalog.text
    [item] = catalog.json()
    assert item["blueprint_name"] == "s3-bucket" and item["repository_name"] == "platform"
    assert item["in_error"] is False and item["published_at"]
    inputs = {i["name"]: i for i in item["inputs"]}
    assert inputs["region"] == {
        "name": "region",
        "type": "string",
        "description": "AWS region of the bucket.",
        "default_value": "eu-west-1",
        "has_default_value": True,
        "sensitive": False,
        "allowed_values": ["eu-west-1", "eu-central-1", "us-east-1"],
        "display_style": None,
    }
    assert inputs["kms_key_arn"]["default_value"] is None  # sensitive: withheld
    assert "arn:aws:kms" not in catalog.text
    one = client.get(f"{SPACE}/catalog/s3-bucket", headers=member)
    assert one.status_code == 200 and one.json() == item
    # The Space Member sees the cloud accounts? No: that needs GET_CLOUD_ACCOUNT_INFO.
    error_of(client.get(f"{SPACE}/cloudaccounts", headers=member), 403)


def test_a_space_member_lists_published_blueprints_only_and_cannot_publish(
    client: TestClient, team: Team, runtime: Runtime
) -> None:
    repository = new_repository(runtime, team.space_id)
    new_blueprint(runtime, repository, "web-app", published=True)
    new_blueprint(runtime, repository, "draft")
    member = team.member.headers
    assert [b["blueprint_name"] for b in client.get(f"{SPACE}/catalog", headers=member).json()] == [
        "web-app"
    ]
    error_of(client.get(f"{SPACE}/catalog/draft", headers=member), 404, "NotFound")
    listed = client.get(f"{SPACE}/blueprints", headers=member)
    assert listed.status_code == 200, listed.text
    assert [(b["blueprint_name"], b["published"]) for b in listed.json()] == [("web-app", True)]
    everything = client.get(f"{SPACE}/blueprints", headers=team.space_admin.headers).json()
    assert [(b["blueprint_name"], b["published"]) for b in everything] == [
        ("web-app", True),
        ("draft", False),
    ]
    error_of(client.post(f"{SPACE}/catalog", json={"blueprint_name": "draft"}, headers=member), 403)
    error_of(client.delete(f"{SPACE}/catalog/web-app", headers=member), 403)


def test_blueprint_tag_managers_see_every_blueprint_but_only_publishers_publish(
    client: TestClient, team: Team, runtime: Runtime
) -> None:
    """GET .../blueprints lists unpublished blueprints to holders of PUBLISH_BLUEPRINTS
    or MANAGE_BLUEPRINT_TAGS: the Space Developer holds the second only."""
    repository = new_repository(runtime, team.space_id)
    new_blueprint(runtime, repository, "draft")
    developer = team.developer.headers
    listed = client.get(f"{SPACE}/blueprints", headers=developer)
    assert listed.status_code == 200, listed.text
    assert [(b["blueprint_name"], b["published"]) for b in listed.json()] == [("draft", False)]
    error = error_of(
        client.post(f"{SPACE}/catalog", json={"blueprint_name": "draft"}, headers=developer), 403
    )
    assert "Publish blueprints" in error["message"]
    assert client.post(
        f"{SPACE}/catalog", json={"blueprint_name": "draft"}, headers=team.space_admin.headers
    ).is_success


def test_a_blueprint_with_errors_cannot_be_published(
    client: TestClient, team: Team, runtime: Runtime
) -> None:
    repository = new_repository(runtime, team.space_id)
    errors = [{"message": "Grain 'db' has an unknown kind 'database'.", "path": "grains->db->kind"}]
    new_blueprint(runtime, repository, "broken", errors=errors)
    refused = client.post(
        f"{SPACE}/catalog", json={"blueprint_name": "broken"}, headers=team.space_admin.headers
    )
    error = error_of(refused, 409, "BlueprintInvalid")
    assert "unknown kind 'database'" in error["message"]
    assert error["blueprint_errors"] == errors
    assert client.get(f"{SPACE}/catalog", headers=team.member.headers).json() == []


def test_publish_and_unpublish_are_audited(
    client: TestClient, team: Team, runtime: Runtime
) -> None:
    repository = new_repository(runtime, team.space_id)
    new_blueprint(runtime, repository, "web-app")
    headers = team.space_admin.headers
    body = {"blueprint_name": "web-app", "repository_name": "platform"}
    assert client.post(f"{SPACE}/catalog", json=body, headers=headers).is_success
    assert client.post(f"{SPACE}/catalog", json=body, headers=headers).is_success  # no-op
    listed = client.get(f"{SPACE}/blueprints", headers=headers).json()
    assert listed[0]["published"] is True
    assert listed[0]["published_by"] == team.space_admin.email
    removed = client.delete(
        f"{SPACE}/catalog/web-app", params={"repository_name": "platform"}, headers=headers
    )
    assert removed.status_code == 204
    error_of(client.delete(f"{SPACE}/catalog/web-app", headers=headers), 404)
    assert client.get(f"{SPACE}/catalog", headers=team.member.headers).json() == []
    events = audit_events(client, team.admin, target="web-app")
    assert [e["action"] for e in events] == ["blueprint.unpublish", "blueprint.publish"]
    assert events[1]["after"] == {"space": "dev", "repository": "platform"}


def test_a_name_in_several_repositories_needs_the_repository_name(
    client: TestClient, team: Team, runtime: Runtime
) -> None:
    first = new_repository(runtime, team.space_id, "platform")
    second = new_repository(runtime, team.space_id, "apps")
    new_blueprint(runtime, first, "web-app")
    new_blueprint(runtime, second, "web-app")
    headers = team.space_admin.headers
    error = error_of(
        client.post(f"{SPACE}/catalog", json={"blueprint_name": "web-app"}, headers=headers), 409
    )
    assert "apps, platform" in error["message"]
    chosen = client.post(
        f"{SPACE}/catalog",
        json={"blueprint_name": "web-app", "repository_name": "apps"},
        headers=headers,
    )
    assert chosen.status_code == 200 and chosen.json()["repository_name"] == "apps"
    # Only one of them is published, so the catalog needs no repository name.
    item = client.get(f"{SPACE}/catalog/web-app", headers=team.member.headers)
    assert item.status_code == 200 and item.json()["repository_name"] == "apps"
    error_of(
        client.post(
            f"{SPACE}/catalog",
            json={"blueprint_name": "web-app", "repository_name": "nope"},
            headers=headers,
        ),
        404,
    )


def test_lists_are_paginated(client: TestClient, team: Team, runtime: Runtime) -> None:
    repository = new_repository(runtime, team.space_id)
    for index in range(5):
        new_blueprint(runtime, repository, f"bp-{index}", published=True)
    headers = team.member.headers
    first = client.get(f"{SPACE}/catalog", params={"limit": 3}, headers=headers)
    assert [b["blueprint_name"] for b in first.json()] == ["bp-0", "bp-1", "bp-2"]
    cursor = first.headers["X-Next-Cursor"]
    rest = client.get(f"{SPACE}/catalog", params={"limit": 3, "cursor": cursor}, headers=headers)
    assert [b["blueprint_name"] for b in rest.json()] == ["bp-3", "bp-4"]
    assert "X-Next-Cursor" not in rest.headers


# In an order that lets every call succeed for the admin, one after the other.
SPACE_ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/repositories", None),
    ("POST", "/repositories", {"name": "x", "url": "https://example.com/x.git"}),
    ("GET", "/repositories/platform", None),
    ("PUT", "/repositories/platform", {"branch": "dev"}),
    ("POST", "/repositories/platform/sync", None),
    ("GET", "/blueprints", None),
    ("GET", "/catalog", None),
    ("GET", "/catalog/web-app", None),
    ("POST", "/catalog", {"blueprint_name": "web-app"}),
    ("DELETE", "/catalog/web-app", None),
    ("POST", "/validations/blueprints", {"blueprint_raw_64": "c3BlY192ZXJzaW9uOiAy"}),
    ("GET", "/cloudaccounts", None),
    ("GET", "/computeservices", None),
    ("DELETE", "/repositories/platform", None),
]


def test_another_accounts_user_gets_404_on_every_space_route(
    client: TestClient, team: Team, runtime: Runtime
) -> None:
    repository = new_repository(runtime, team.space_id)
    new_blueprint(runtime, repository, "web-app", published=True)
    for method, path, body in SPACE_ROUTES:
        answer = client.request(method, f"{SPACE}{path}", json=body, headers=team.stranger.headers)
        error_of(answer, 404, "NotFound")
    # The same calls are answered for the Account Admin: the 404s were not bad examples.
    for method, path, body in SPACE_ROUTES:
        mine = client.request(method, f"{SPACE}{path}", json=body, headers=team.admin.headers)
        assert mine.status_code < 400, (method, path, mine.text)
