"""Account tag definitions and the account's limit on them."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from spacegate.runtime import Runtime
from spacegate.tags.rules import DEFAULT_MAX_TAGS
from tests.api_helpers import audit_events, error_of
from tests.blueprints.factories import new_blueprint, new_repository
from tests.cloudaccounts.factories import Team
from tests.tags.factories import blueprint_id, new_tag, set_blueprint_value, set_space_value

TAGS = "/api/settings/tags"


def tag_body(name: str = "cost-center", **fields: Any) -> dict[str, Any]:
    return {
        "name": name,
        "value": "rnd",
        "scope": "environment",
        "description": "Who pays.",
        "possible_values": ["rnd", "ops", "sales"],
        **fields,
    }


def test_account_admin_defines_a_tag_and_every_user_reads_it(
    client: TestClient, team: Team
) -> None:
    created = client.post(TAGS, json=tag_body(), headers=team.admin.headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert {k: body[k] for k in ("name", "value", "scope", "possible_values")} == {
        "name": "cost-center",
        "value": "rnd",
        "scope": "environment",
        "possible_values": ["rnd", "ops", "sales"],
    }
    for reader in (team.member, team.outsider):
        listed = client.get(TAGS, headers=reader.headers)
        assert listed.status_code == 200 and [t["name"] for t in listed.json()] == ["cost-center"]
        one = client.get(f"{TAGS}/COST-CENTER", headers=reader.headers)
        assert one.status_code == 200 and one.json() == body
    [event] = audit_events(client, team.admin, action="tag.create")
    assert event["target"] == "cost-center"
    # Another account's admin does not see it.
    assert client.get(TAGS, headers=team.stranger.headers).json() == []
    error_of(client.get(f"{TAGS}/cost-center", headers=team.stranger.headers), 404)


@pytest.mark.parametrize(("who", "status"), [("admin", 201), ("space_admin", 403), ("member", 403)])
def test_manage_account_tags_is_the_account_admins(
    client: TestClient, team: Team, who: str, status: int
) -> None:
    response = client.post(TAGS, json=tag_body(), headers=getattr(team, who).headers)
    if status == 201:
        assert response.status_code == 201, response.text
    else:
        assert "Manage account tags" in error_of(response, status, "Forbidden")["message"]


@pytest.mark.parametrize(
    ("body", "phrase"),
    [
        (tag_body("spacegate-owner-email"), "reserved"),
        (tag_body("a/b"), "may contain only"),
        (tag_body(scope="galaxy"), "not a tag scope"),
        (tag_body(value="marketing"), "not among its possible values"),
        (tag_body(name=" "), "1 to 128 characters"),
    ],
)
def test_bad_definitions_are_refused_with_a_sentence(
    client: TestClient, team: Team, body: dict[str, Any], phrase: str
) -> None:
    response = client.post(TAGS, json=body, headers=team.admin.headers)
    assert phrase in error_of(response, 422, "InvalidInput")["message"]


def test_names_are_unique_case_insensitively(client: TestClient, team: Team) -> None:
    assert client.post(TAGS, json=tag_body(), headers=team.admin.headers).status_code == 201
    again = client.post(TAGS, json=tag_body("Cost-Center"), headers=team.admin.headers)
    error_of(again, 409, "Conflict")


def test_update_refuses_to_strand_values_set_below(
    client: TestClient, team: Team, runtime: Runtime
) -> None:
    tag_id = new_tag(runtime, team.admin.account_id, "team", possible_values=("red", "blue"))
    set_space_value(runtime, team.space_id, tag_id, "red")
    repository = new_repository(runtime, team.space_id)
    new_blueprint(runtime, repository, "web-app")
    set_blueprint_value(
        runtime, blueprint_id(runtime, team.space_id, "platform", "web-app"), tag_id, "blue"
    )
    admin = team.admin.headers

    narrowed = client.put(f"{TAGS}/team", json={"scope": "space"}, headers=admin)
    message = error_of(narrowed, 409)["message"]
    assert "blueprint 'platform/web-app' in space 'dev' ('blue')" in message
    fewer = client.put(f"{TAGS}/team", json={"possible_values": ["blue"]}, headers=admin)
    assert "space 'dev' ('red')" in error_of(fewer, 409)["message"]

    renamed = client.put(
        f"{TAGS}/team",
        json={"name": "squad", "possible_values": ["red", "blue", "green"], "value": "green"},
        headers=admin,
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "squad" and renamed.json()["value"] == "green"
    error_of(client.get(f"{TAGS}/team", headers=admin), 404)
    [event] = audit_events(client, team.admin, action="tag.update")
    assert event["before"]["name"] == "team" and event["after"]["name"] == "squad"

    deleted = client.delete(f"{TAGS}/squad", headers=admin)
    assert deleted.status_code == 204, deleted.text
    assert client.get("/api/spaces/dev/settings/tags", headers=admin).json() == []
    [event] = audit_events(client, team.admin, action="tag.delete")
    assert event["before"]["space_values"] == 1 and event["before"]["blueprint_values"] == 1


def test_the_tag_limit(client: TestClient, team: Team) -> None:
    admin = team.admin.headers
    limit = client.get("/api/settings/tags_limit", headers=team.member.headers)
    assert limit.json() == {"value": DEFAULT_MAX_TAGS, "used": 0}

    error_of(client.put("/api/settings/tags_limit?value=2", headers=team.space_admin.headers), 403)
    error_of(client.put("/api/settings/tags_limit?value=0", headers=admin), 422)
    set_to_two = client.put("/api/settings/tags_limit?value=2", headers=admin)
    assert set_to_two.status_code == 200 and set_to_two.json() == {"value": 2, "used": 0}

    for name in ("one", "two"):
        assert client.post(TAGS, json=tag_body(name), headers=admin).status_code == 201
    third = client.post(TAGS, json=tag_body("three"), headers=admin)
    assert "limit of 2 tags" in error_of(third, 409, "TagLimitReached")["message"]
    below = client.put("/api/settings/tags_limit?value=1", headers=admin)
    assert "cannot be set below" in error_of(below, 409)["message"]
    raised = client.put("/api/settings/tags_limit?value=3", headers=admin)
    assert raised.json() == {"value": 3, "used": 2}
    assert client.post(TAGS, json=tag_body("three"), headers=admin).status_code == 201
    [event, _] = audit_events(client, team.admin, action="tag.limit")
    assert event["before"] == {"max_tags": 2} and event["after"] == {"max_tags": 3}
