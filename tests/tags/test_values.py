"""Tag values in spaces and on blueprints: who sets them, where a scope allows them,
and the possible values."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from spacegate.runtime import Runtime
from tests.api_helpers import audit_events, error_of
from tests.blueprints.factories import new_blueprint, new_repository
from tests.cloudaccounts.factories import Team
from tests.tags.factories import new_tag

SPACE_TAGS = "/api/spaces/dev/settings/tags"
BLUEPRINT_TAGS = "/api/spaces/dev/repositories/platform/blueprints/web-app/settings/tags"


@pytest.fixture
def team_tag(runtime: Runtime, team: Team) -> int:
    return new_tag(
        runtime, team.admin.account_id, "team", value="red", possible_values=("red", "blue")
    )


@pytest.fixture
def blueprint(runtime: Runtime, team: Team) -> None:
    repository = new_repository(runtime, team.space_id)
    new_blueprint(runtime, repository, "web-app", published=True)
    new_blueprint(runtime, repository, "draft")


@pytest.mark.parametrize(("who", "status"), [("space_admin", 201), ("developer", 403)])
def test_manage_space_tags(
    client: TestClient, team: Team, team_tag: int, who: str, status: int
) -> None:
    response = client.post(
        SPACE_TAGS, json={"name": "team", "value": "blue"}, headers=getattr(team, who).headers
    )
    if status == 201:
        assert response.status_code == 201, response.text
        assert response.json()["value"] == "blue" and response.json()["set_at"] == "space"
    else:
        assert "Manage space tags" in error_of(response, 403, "Forbidden")["message"]


@pytest.mark.parametrize(("who", "status"), [("developer", 201), ("member", 403)])
def test_manage_blueprint_tags(
    client: TestClient, team: Team, team_tag: int, blueprint: None, who: str, status: int
) -> None:
    response = client.post(
        BLUEPRINT_TAGS,
        json={"name": "team", "value": "blue"},
        headers=getattr(team, who).headers,
    )
    if status == 201:
        assert response.status_code == 201, response.text
        assert response.json()["set_at"] == "blueprint"
    else:
        assert "Manage blueprint tags" in error_of(response, 403, "Forbidden")["message"]


def test_values_override_and_fall_back(
    client: TestClient, team: Team, team_tag: int, blueprint: None
) -> None:
    admin, member = team.space_admin.headers, team.member.headers
    [before] = client.get(SPACE_TAGS, headers=member).json()
    assert (before["value"], before["set_at"]) == ("red", "account")

    assert (
        client.post(SPACE_TAGS, json={"name": "team", "value": "blue"}, headers=admin).status_code
        == 201
    )
    again = client.post(SPACE_TAGS, json={"name": "team", "value": "red"}, headers=admin)
    assert "change it with PUT" in error_of(again, 409)["message"]
    [bp_view] = client.get(BLUEPRINT_TAGS, headers=member).json()
    assert (bp_view["value"], bp_view["set_at"]) == ("blue", "space")

    put = client.put(f"{BLUEPRINT_TAGS}/team", json={"value": "red"}, headers=admin)
    assert put.status_code == 200, put.text
    one = client.get(f"{BLUEPRINT_TAGS}/TEAM", headers=member).json()
    assert (one["value"], one["set_at"]) == ("red", "blueprint")

    removed = client.delete(f"{BLUEPRINT_TAGS}/team", headers=team.developer.headers)
    assert removed.status_code == 204
    error_of(client.delete(f"{BLUEPRINT_TAGS}/team", headers=admin), 404)
    assert client.delete(f"{SPACE_TAGS}/team", headers=admin).status_code == 204
    after = client.get(f"{SPACE_TAGS}/team", headers=member).json()
    assert (after["value"], after["set_at"]) == ("red", "account")
    actions = [e["action"] for e in audit_events(client, team.admin)]
    assert actions[:4] == [
        "tag.unset_space_value",
        "tag.unset_blueprint_value",
        "tag.set_blueprint_value",
        "tag.set_space_value",
    ]


def test_a_value_outside_the_possible_values_is_refused_with_a_sentence(
    client: TestClient, team: Team, team_tag: int, blueprint: None
) -> None:
    for path in (f"{SPACE_TAGS}/team", f"{BLUEPRINT_TAGS}/team"):
        refused = client.put(path, json={"value": "green"}, headers=team.space_admin.headers)
        message = error_of(refused, 422, "InvalidInput")["message"]
        assert message == (
            "'green' is not a possible value of tag 'team'; choose one of: 'red', 'blue'."
        )


def test_a_value_is_set_only_where_the_scope_allows(
    client: TestClient, team: Team, runtime: Runtime, blueprint: None
) -> None:
    new_tag(runtime, team.admin.account_id, "owner-team", scope="account", value="core")
    new_tag(runtime, team.admin.account_id, "region", scope="space", value="eu")
    admin = team.space_admin.headers
    at_space = client.put(f"{SPACE_TAGS}/owner-team", json={"value": "x"}, headers=admin)
    assert error_of(at_space, 422)["message"] == (
        "Tag 'owner-team' has scope 'account': its value can be set only in its definition "
        "(the account default), not in space 'dev'."
    )
    assert (
        client.put(f"{SPACE_TAGS}/region", json={"value": "us"}, headers=admin).status_code == 200
    )
    on_blueprint = client.put(f"{BLUEPRINT_TAGS}/region", json={"value": "us"}, headers=admin)
    assert "not on blueprint 'web-app'" in error_of(on_blueprint, 422)["message"]
    # The lists show the tags that may be set at that level.
    assert [t["name"] for t in client.get(SPACE_TAGS, headers=admin).json()] == ["region"]
    assert client.get(BLUEPRINT_TAGS, headers=admin).json() == []


def test_body_and_path_must_name_the_same_tag(
    client: TestClient, team: Team, team_tag: int
) -> None:
    response = client.put(
        f"{SPACE_TAGS}/team", json={"name": "other", "value": "red"}, headers=team.admin.headers
    )
    error_of(response, 422, "InvalidInput")


def test_unpublished_blueprints_tags_are_for_those_who_see_them(
    client: TestClient, team: Team, team_tag: int, blueprint: None
) -> None:
    draft = "/api/spaces/dev/repositories/platform/blueprints/draft/settings/tags"
    error_of(client.get(draft, headers=team.member.headers), 404)
    assert client.get(draft, headers=team.developer.headers).status_code == 200
    error_of(client.get(SPACE_TAGS, headers=team.outsider.headers), 404)
    error_of(client.get(BLUEPRINT_TAGS, headers=team.stranger.headers), 404)
