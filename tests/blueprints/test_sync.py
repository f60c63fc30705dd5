"""Syncing a real git repository made by the test: blueprints appear, broken files show
their errors, new commits update them, and a removed repository takes them along."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from spacegate.blueprints import git
from spacegate.runtime import Runtime
from tests.api_helpers import audit_events, error_of
from tests.blueprints.gitrepo import Origin, example_origin
from tests.cloudaccounts.factories import Team

REPOS = "/api/spaces/dev/repositories"
EXAMPLES = ["nightly-cleanup", "s3-bucket", "web-app"]
TOKEN = "ghp_exampleRepositoryToken0123456789abcdef"


@pytest.fixture
def origin(tmp_path_factory: pytest.TempPathFactory) -> Origin:
    return example_origin(tmp_path_factory.mktemp("origin") / "platform")


def connect(client: TestClient, team: Team, origin: Origin, **extra: Any) -> dict[str, Any]:
    body = {"name": "platform", "url": origin.url, "branch": "main", **extra}
    created = client.post(REPOS, json=body, headers=team.space_admin.headers)
    assert created.status_code == 201, created.text
    result: dict[str, Any] = created.json()
    return result


def sync(client: TestClient, team: Team, repo: str = "platform") -> dict[str, Any]:
    answer = client.post(f"{REPOS}/{repo}/sync", headers=team.space_admin.headers)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def blueprints(client: TestClient, team: Team) -> dict[str, dict[str, Any]]:
    answer = client.get("/api/spaces/dev/blueprints", headers=team.space_admin.headers)
    assert answer.status_code == 200, answer.text
    return {b["blueprint_name"]: b for b in answer.json()}


def test_sync_reads_the_example_repository(client: TestClient, team: Team, origin: Origin) -> None:
    head = origin.commit({"README.md": "# platform blueprints\n"}, "touch readme")
    created = connect(client, team, origin)
    assert created["path"] == "blueprints/" and created["last_sync"] is None
    result = sync(client, team)
    assert result["status"] == "ok", result
    assert result["commit"] == head
    assert sorted(result["added"]) == EXAMPLES
    assert result["in_error"] == [] and result["removed"] == []
    assert result["repository"]["blueprints"] == 3
    last = result["repository"]["last_sync"]
    assert last["status"] == "ok" and last["commit"] == head and last["time"]

    found = blueprints(client, team)
    assert sorted(found) == EXAMPLES
    s3 = found["s3-bucket"]
    assert s3["repository_name"] == "platform"
    assert s3["published"] is False and s3["errors"] == [] and s3["in_error"] is False
    assert s3["description"].startswith("A private S3 bucket")
    assert s3["file_path"] == "blueprints/s3-bucket.yaml"
    assert s3["grains"] == [
        {
            "name": "bucket",
            "kind": "terraform",
            "source_store": "platform-blueprints",
            "source_path": "terraform/s3-bucket",
            "depends_on": [],
        }
    ]
    inputs = {i["name"]: i for i in s3["inputs"]}
    assert list(inputs) == ["bucket_name", "region", "versioning", "kms_key_arn"]
    assert inputs["region"]["default_value"] == "eu-west-1"
    assert inputs["region"]["allowed_values"] == ["eu-west-1", "eu-central-1", "us-east-1"]
    assert inputs["bucket_name"]["has_default_value"] is False
    # A sensitive input's default is withheld, even from publishers.
    assert inputs["kms_key_arn"]["sensitive"] is True
    assert inputs["kms_key_arn"]["has_default_value"] is True
    assert inputs["kms_key_arn"]["default_value"] is None
    assert "arn:aws:kms" not in str(found)
    assert [o["name"] for o in s3["outputs"]] == ["bucket_arn", "bucket_url"]
    web = found["web-app"]
    assert [(g["name"], g["kind"], g["depends_on"]) for g in web["grains"]] == [
        ("app", "helm", []),
        ("smoke-test", "shell", ["app"]),
    ]
    assert {i["name"]: i["type"] for i in web["inputs"]}["replicas"] == "numeric"

    sync_event = audit_events(client, team.admin, action="repository.sync")[0]
    assert sync_event["after"]["status"] == "ok" and sync_event["after"]["commit"] == head
    assert sorted(sync_event["after"]["added"]) == EXAMPLES


BROKEN_YAML = "spec_version: 2\ngrains:\n  app: [kind: helm\n"
UNKNOWN_KIND = """spec_version: 2
description: uses a kind spacegate does not know
inputs:
  size:
    type: numeric
    default: large
grains:
  db:
    kind: database
    spec:
      source:
        path: db
outputs:
  url:
    value: '{{ .grains.app.outputs.url }}'
x-team: data-platform
"""


def test_broken_files_show_their_errors_without_failing_the_sync(
    client: TestClient, team: Team, origin: Origin
) -> None:
    origin.commit(
        {"blueprints/broken.yaml": BROKEN_YAML, "blueprints/odd.yml": UNKNOWN_KIND}, "broken"
    )
    connect(client, team, origin)
    result = sync(client, team)
    assert result["status"] == "ok"
    assert sorted(result["in_error"]) == ["broken", "odd"]
    found = blueprints(client, team)
    assert sorted(found) == sorted([*EXAMPLES, "broken", "odd"])
    broken = found["broken"]
    assert broken["in_error"] is True
    [error] = broken["errors"]
    assert error["message"].startswith("The file is not valid YAML")
    assert error["line"] == 4
    odd = {e.get("path"): e for e in found["odd"]["errors"]}
    assert "unknown kind 'database'" in odd["grains->db->kind"]["message"]
    assert odd["grains->db->kind"]["line"] == 9
    assert "not a number" in odd["inputs->size"]["message"]
    assert "'app' is used as a grain" in odd["outputs->url->value"]["message"]
    assert found["odd"]["description"] == "uses a kind spacegate does not know"


def test_a_new_commit_and_sync_update_the_blueprints(
    client: TestClient, team: Team, origin: Origin
) -> None:
    connect(client, team, origin)
    first = sync(client, team)
    published = client.post(
        "/api/spaces/dev/catalog",
        json={"blueprint_name": "nightly-cleanup", "repository_name": "platform"},
        headers=team.space_admin.headers,
    )
    assert published.status_code == 200, published.text
    web_app = (origin.root / "blueprints" / "web-app.yaml").read_text()
    head = origin.commit(
        {
            "blueprints/web-app.yaml": web_app.replace(
                "A containerised web application", "The storefront"
            ),
            "blueprints/nightly-cleanup.yaml": None,
            "blueprints/queue.yaml": "spec_version: 2\ngrains:\n  q:\n    kind: helm\n"
            "    spec:\n      source:\n        path: helm/queue\n",
        },
        "second",
    )
    again = sync(client, team)
    assert again["commit"] == head != first["commit"]
    assert again["added"] == ["queue"]
    assert again["changed"] == ["web-app"]
    assert again["removed"] == ["nightly-cleanup"]
    found = blueprints(client, team)
    assert sorted(found) == ["queue", "s3-bucket", "web-app"]
    assert found["web-app"]["description"].startswith("The storefront")
    assert found["web-app"]["commit"] == found["s3-bucket"]["commit"] == head
    # The removed blueprint left the catalog with its file.
    catalog = client.get("/api/spaces/dev/catalog", headers=team.member.headers)
    assert catalog.json() == []
    # Nothing changed: nothing reported.
    third = sync(client, team)
    assert (third["added"], third["changed"], third["removed"]) == ([], [], [])


def test_a_failed_sync_is_recorded_and_changes_nothing(
    client: TestClient, team: Team, origin: Origin, caplog: pytest.LogCaptureFixture
) -> None:
    connect(client, team, origin)
    good = sync(client, team)
    headers = team.space_admin.headers
    assert client.put(f"{REPOS}/platform", json={"branch": "nope"}, headers=headers).is_success
    failed = sync(client, team)
    assert failed["status"] == "error"
    assert failed["message"] == "The repository has no branch 'nope'."
    assert failed["commit"] == good["commit"]  # the blueprints are still from there
    assert len(blueprints(client, team)) == 3
    shown = client.get(f"{REPOS}/platform", headers=headers).json()["last_sync"]
    assert shown["status"] == "error" and "no branch 'nope'" in shown["message"]
    assert "no branch 'nope'" in caplog.text

    assert client.put(
        f"{REPOS}/platform", json={"branch": "main", "path": "elsewhere"}, headers=headers
    ).is_success
    assert "folder 'elsewhere' does not exist" in sync(client, team)["message"]
    assert client.put(
        f"{REPOS}/platform", json={"url": origin.url + "-missing", "path": ""}, headers=headers
    ).is_success
    assert sync(client, team)["message"] == git.UNREADABLE
    events = audit_events(client, team.admin, action="repository.sync")
    assert [e["after"]["status"] for e in events] == ["error", "error", "error", "ok"]


def test_a_local_path_works_as_well_as_a_file_url(
    client: TestClient, team: Team, origin: Origin
) -> None:
    connect(client, team, origin, url=str(origin.root), path="/blueprints")
    assert sorted(sync(client, team)["added"]) == EXAMPLES


def test_removing_the_repository_removes_its_blueprints(
    client: TestClient, team: Team, origin: Origin, runtime: Runtime
) -> None:
    connect(client, team, origin)
    sync(client, team)
    headers = team.space_admin.headers
    assert client.post(
        "/api/spaces/dev/catalog", json={"blueprint_name": "web-app"}, headers=headers
    ).is_success
    cache = runtime.settings.data_dir / "git-cache"
    assert any(cache.iterdir())
    assert client.delete(f"{REPOS}/platform", headers=headers).status_code == 204
    assert blueprints(client, team) == {}
    assert client.get("/api/spaces/dev/catalog", headers=team.member.headers).json() == []
    error_of(client.get(f"{REPOS}/platform", headers=headers), 404)
    assert not any(cache.iterdir())
    deleted = audit_events(client, team.admin, action="repository.delete")[0]
    assert deleted["before"]["blueprints"] == 3
    assert deleted["before"]["published"] == ["web-app"]


def test_the_access_token_is_write_only(
    client: TestClient, team: Team, origin: Origin, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    created = connect(client, team, origin, token=TOKEN)
    assert created["has_token"] is True
    headers = team.space_admin.headers
    answers = [
        client.get(REPOS, headers=headers),
        client.get(f"{REPOS}/platform", headers=headers),
        client.post(f"{REPOS}/platform/sync", headers=headers),
        client.put(f"{REPOS}/platform", json={"token": TOKEN + "2"}, headers=headers),
        client.get("/api/audit", params={"limit": 500}, headers=team.admin.headers),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert TOKEN not in answer.text
    assert TOKEN not in caplog.text
    changed = audit_events(client, team.admin, action="repository.update")[0]
    assert changed["before"]["token"] == "set" and changed["after"]["token"] == "changed"
    cleared = client.put(f"{REPOS}/platform", json={"token": ""}, headers=headers)
    assert cleared.json()["has_token"] is False


BAD_FIELDS: list[tuple[dict[str, Any], str]] = [
    ({"url": "ssh://git@github.com/acme/blueprints.git"}, "http(s):// or file://"),
    ({"url": "git@github.com:acme/blueprints.git"}, "http(s):// or file://"),
    ({"url": "relative/path"}, "absolute path"),
    ({"url": "https://user:secret@github.com/acme/b.git"}, "Do not write credentials"),
    ({"url": "https://github.com/acme/b.git?access_token=x"}, "Do not write credentials"),
    ({"branch": "bad..branch"}, "not a valid git branch name"),
    ({"branch": "-x"}, "not a valid git branch name"),
    ({"path": "../outside"}, "not a folder inside the repository"),
    ({"name": ""}, "must not be empty"),
    ({"token": "has spaces"}, "no spaces"),
]


def test_bad_repository_fields_are_refused(client: TestClient, team: Team) -> None:
    for change, expected in BAD_FIELDS:
        body = {"name": "platform", "url": "https://github.com/acme/blueprints.git", **change}
        error = error_of(client.post(REPOS, json=body, headers=team.space_admin.headers), 422)
        assert expected in error["message"], (change, error)


def test_the_sync_cache_cannot_be_used_as_a_repository(
    client: TestClient, team: Team, runtime: Runtime
) -> None:
    cache = runtime.settings.data_dir / "git-cache" / "1-0123456789abcdef.git"
    body = {"name": "sneaky", "url": cache.as_uri()}
    error = error_of(client.post(REPOS, json=body, headers=team.space_admin.headers), 422)
    assert "data directory" in error["message"]


def test_local_repositories_can_be_switched_off(
    client: TestClient, team: Team, runtime: Runtime, tmp_path: Path
) -> None:
    runtime.settings.local_repositories = False
    body = {"name": "local", "url": (tmp_path / "repo").as_uri()}
    error = error_of(client.post(REPOS, json=body, headers=team.space_admin.headers), 422)
    assert "http(s) URL" in error["message"]


def test_repository_names_are_unique_per_space(
    client: TestClient, team: Team, origin: Origin
) -> None:
    connect(client, team, origin)
    body = {"name": "PLATFORM", "url": origin.url}
    error_of(client.post(REPOS, json=body, headers=team.space_admin.headers), 409)
    renamed = client.put(
        f"{REPOS}/platform", json={"name": "infra"}, headers=team.space_admin.headers
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "infra"
    listed = client.get(REPOS, headers=team.space_admin.headers).json()
    assert [r["name"] for r in listed] == ["infra"]


def test_who_may_set_up_repositories(client: TestClient, team: Team, origin: Origin) -> None:
    connect(client, team, origin)
    body = {"name": "mine", "url": origin.url}
    for person in (team.developer, team.member):
        error_of(client.post(REPOS, json=body, headers=person.headers), 403)
        error_of(client.post(f"{REPOS}/platform/sync", headers=person.headers), 403)
        error_of(client.get(REPOS, headers=person.headers), 403)
    error_of(client.get(REPOS, headers=team.outsider.headers), 404)
    assert client.post(REPOS, json=body, headers=team.admin.headers).status_code == 201


def test_a_local_repository_is_not_synced_once_switched_off(
    client: TestClient, team: Team, origin: Origin, runtime: Runtime
) -> None:
    connect(client, team, origin)
    runtime.settings.local_repositories = False
    failed = sync(client, team)
    assert failed["status"] == "error" and "http(s) URL" in failed["message"]
    assert blueprints(client, team) == {}
