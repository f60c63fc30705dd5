"""The decision API (`/api/authz/check`, `/api/authz/explain`) that other services call."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import Engine

from spacegate.authz import Level, Permission
from spacegate.runtime import Runtime
from tests.factories import Person, add_member, new_account, new_custom_role, new_space, new_user
from tests.module_app import app_client, module_runtime

CHECK = "/api/authz/check"
EXPLAIN = "/api/authz/explain"


@dataclass(frozen=True)
class World:
    client: TestClient
    runtime: Runtime
    team: dict[str, Person]


@pytest.fixture(scope="module")
def world(
    engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """One app and one account for the whole module. Questions change nothing, and the
    few tests that add something add what no other test here looks at; a fresh database
    per question would cost more than the questions."""
    data_dir = tmp_path_factory.mktemp("decisions")
    with module_runtime(engine, database_url, data_dir) as runtime:
        team = make_team(runtime)
        with app_client(runtime) as client:
            yield World(client, runtime, team)


# This module's tests share the world above: these override conftest's per-test
# fixtures of the same names (whose runtime would empty the database).
@pytest.fixture
def runtime(world: World) -> Runtime:
    return world.runtime


@pytest.fixture
def client(world: World) -> TestClient:
    return world.client


@pytest.fixture
def team(world: World) -> dict[str, Person]:
    return world.team


def make_team(runtime: Runtime) -> dict[str, Person]:
    admin = new_account(runtime)
    dev = new_user(runtime, admin.account_id, "dev@example.com")
    member = new_user(runtime, admin.account_id, "member@example.com")
    gone = new_user(runtime, admin.account_id, "gone@example.com", status="inactive")
    new_custom_role(
        runtime, admin.account_id, "Auditor", Level.ACCOUNT, [Permission.ACCESS_ADMINISTRATION]
    )
    auditor = new_user(
        runtime, admin.account_id, "auditor@example.com", custom_account_role="Auditor"
    )
    space = new_space(runtime, admin.account_id, "dev")
    new_space(runtime, admin.account_id, "ops")
    add_member(runtime, space, dev.user_id, "Space Developer")
    add_member(runtime, space, member.user_id, "Space Member")
    add_member(runtime, space, gone.user_id, "Space Admin")
    other_account = new_account(runtime, "globex", "boss@globex.example")
    new_space(runtime, other_account.account_id, "secret")
    return {
        "admin": admin,
        "dev": dev,
        "member": member,
        "gone": gone,
        "auditor": auditor,
        "outsider": other_account,
    }


def post(client: TestClient, path: str, caller: Person, body: dict[str, Any]) -> Response:
    return client.post(path, json=body, headers=caller.headers)


def error_of(response: Response) -> dict[str, str]:
    """The first error of API.md's error shape."""
    errors = response.json()["errors"]
    assert len(errors) >= 1
    first: dict[str, str] = errors[0]
    assert set(first) >= {"name", "message"}
    assert first["message"].endswith(".")
    return first


# Each pair: the allowed and the denied cell of one question.
SELF_CHECKS = [
    ("dev", "MANAGE_PRODUCTION_ENVIRONMENTS", "dev", True),
    ("dev", "PUBLISH_BLUEPRINTS", "dev", False),
    ("member", "LAUNCH_SANDBOXES", "dev", True),
    ("member", "MANAGE_SPACE_USERS", "dev", False),
    ("member", "VIEW_COST_DATA", "dev", True),
    ("member", "GET_CLOUD_ACCOUNT_INFO", "dev", False),
    ("admin", "CREATE_SPACES", None, True),
    ("dev", "CREATE_SPACES", None, False),
    ("admin", "MANAGE_SPACE_POLICIES", "ops", True),
    ("auditor", "MANAGE_SPACE_POLICIES", "ops", False),
]


def test_a_space_the_asker_cannot_see_answers_as_unknown(
    client: TestClient, team: dict[str, Person]
) -> None:
    """Rule 3: asking about an unseen space must not reveal that it exists."""
    caller = team["member"]
    unseen = post(
        client,
        CHECK,
        caller,
        {"email": caller.email, "permission": "LAUNCH_SANDBOXES", "space_name": "ops"},
    )
    missing = post(
        client,
        CHECK,
        caller,
        {"email": caller.email, "permission": "LAUNCH_SANDBOXES", "space_name": "nowhere"},
    )
    assert unseen.status_code == missing.status_code == 422
    assert "ops" in unseen.text and "nowhere" in missing.text


@pytest.mark.parametrize(("who", "permission", "space", "allowed"), SELF_CHECKS)
def test_a_user_may_ask_about_themselves(
    client: TestClient,
    team: dict[str, Person],
    who: str,
    permission: str,
    space: str | None,
    allowed: bool,
) -> None:
    caller = team[who]
    body = {"email": caller.email, "permission": permission, "space_name": space}
    response = post(client, CHECK, caller, body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["allowed"] is allowed
    assert isinstance(answer["reason"], str) and answer["reason"]
    assert "results" not in answer


@pytest.mark.parametrize("who", ["admin", "auditor"])
@pytest.mark.parametrize(
    ("permission", "allowed"), [("VIEW_SPACE", True), ("PUBLISH_BLUEPRINTS", False)]
)
def test_administrators_may_ask_about_others(
    client: TestClient, team: dict[str, Person], who: str, permission: str, allowed: bool
) -> None:
    body = {"email": "member@example.com", "permission": permission, "space_name": "dev"}
    response = post(client, CHECK, team[who], body)
    assert response.status_code == 200, response.text
    assert response.json()["allowed"] is allowed


@pytest.mark.parametrize("path", [CHECK, EXPLAIN])
@pytest.mark.parametrize("who", ["dev", "member"])
def test_asking_about_another_user_needs_access_administration(
    client: TestClient, team: dict[str, Person], path: str, who: str
) -> None:
    body = {"email": "admin@example.com", "permission": "VIEW_SPACE", "space_name": "dev"}
    response = post(client, path, team[who], body)
    assert response.status_code == 403, response.text
    assert error_of(response)["name"] == "Forbidden"


def test_the_email_comparison_ignores_case_and_spaces(
    client: TestClient, team: dict[str, Person]
) -> None:
    body = {"email": " Member@Example.COM ", "permission": "VIEW_SPACE", "space_name": "DEV"}
    response = post(client, CHECK, team["member"], body)
    assert response.status_code == 200, response.text
    assert response.json()["allowed"] is True


def test_a_narrowed_token_cannot_ask_about_others(
    client: TestClient, team: dict[str, Person]
) -> None:
    created = client.post(
        "/api/token/longtoken",
        json={"name": "checker", "permissions": ["VIEW_SPACE"]},
        headers=team["admin"].headers,
    )
    assert created.status_code == 201, created.text
    headers = {"Authorization": f"Bearer {created.json()['access_token']}"}
    body = {"email": "member@example.com", "permission": "VIEW_SPACE", "space_name": "dev"}
    assert client.post(CHECK, json=body, headers=headers).status_code == 403


def test_batch_answers_each_check_in_order(client: TestClient, team: dict[str, Person]) -> None:
    checks = [
        {"email": "dev@example.com", "permission": "MANAGE_BLUEPRINT_TAGS", "space_name": "dev"},
        {"email": "dev@example.com", "permission": "MANAGE_SPACE_TAGS", "space_name": "dev"},
        {"email": "member@example.com", "permission": "INVITE_USERS"},
        {"email": "admin@example.com", "permission": "INVITE_USERS"},
        {"email": "gone@example.com", "permission": "VIEW_SPACE", "space_name": "dev"},
        {"email": "nobody@example.com", "permission": "VIEW_SPACE", "space_name": "dev"},
    ]
    response = post(client, CHECK, team["admin"], {"checks": checks})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "allowed" not in body
    results = body["results"]
    assert [r["allowed"] for r in results] == [True, False, False, True, False, False]
    for sent, got in zip(checks, results, strict=True):
        assert got["email"] == sent["email"]
        assert got["permission"] == sent["permission"]
        assert got.get("space_name") == sent.get("space_name")  # None is left out
        assert got["reason"]


def test_a_batch_about_others_needs_access_administration(
    client: TestClient, team: dict[str, Person]
) -> None:
    checks = [
        {"email": "member@example.com", "permission": "VIEW_SPACE", "space_name": "dev"},
        {"email": "dev@example.com", "permission": "VIEW_SPACE", "space_name": "dev"},
    ]
    response = post(client, CHECK, team["member"], {"checks": checks})
    assert response.status_code == 403, response.text


def test_an_empty_batch_answers_no_results(client: TestClient, team: dict[str, Person]) -> None:
    response = post(client, CHECK, team["member"], {"checks": []})
    assert response.status_code == 200, response.text
    assert response.json() == {"results": []}


UNKNOWN_SPACE = {"email": "member@example.com", "permission": "VIEW_SPACE", "space_name": "nope"}
# A space of another account is unknown here.
FOREIGN_SPACE = {"email": "member@example.com", "permission": "VIEW_SPACE", "space_name": "secret"}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (CHECK, UNKNOWN_SPACE),
        (CHECK, FOREIGN_SPACE),
        (CHECK, {"checks": [UNKNOWN_SPACE]}),
        (EXPLAIN, UNKNOWN_SPACE),
        (EXPLAIN, FOREIGN_SPACE),
    ],
)
def test_an_unknown_space_is_invalid_input(
    client: TestClient, team: dict[str, Person], path: str, body: dict[str, Any]
) -> None:
    response = post(client, path, team["member"], body)
    assert response.status_code == 422, response.text
    error = error_of(response)
    assert error["name"] == "InvalidInput"
    assert "space" in error["message"]


@pytest.mark.parametrize("path", [CHECK, EXPLAIN])
def test_a_space_permission_needs_a_space_name(
    client: TestClient, team: dict[str, Person], path: str
) -> None:
    body = {"email": "member@example.com", "permission": "LAUNCH_SANDBOXES"}
    response = post(client, path, team["member"], body)
    assert response.status_code == 422, response.text
    assert "space_name" in error_of(response)["message"]


@pytest.mark.parametrize("path", [CHECK, EXPLAIN])
def test_an_unknown_email_is_denied_with_a_reason(
    client: TestClient, team: dict[str, Person], path: str
) -> None:
    body = {"email": "nobody@example.com", "permission": "VIEW_SPACE", "space_name": "dev"}
    response = post(client, path, team["admin"], body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["allowed"] is False
    assert "nobody@example.com" in answer["reason"]


def test_a_user_of_another_account_is_unknown_here(
    client: TestClient, team: dict[str, Person]
) -> None:
    body = {"email": "boss@globex.example", "permission": "CREATE_SPACES"}
    response = post(client, CHECK, team["admin"], body)
    assert response.status_code == 200, response.text
    assert response.json()["allowed"] is False


def test_an_inactive_user_is_denied(client: TestClient, team: dict[str, Person]) -> None:
    body = {"email": "gone@example.com", "permission": "VIEW_SPACE", "space_name": "dev"}
    response = post(client, CHECK, team["admin"], body)
    assert response.status_code == 200, response.text
    assert response.json()["allowed"] is False


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"email": "member@example.com"},
        {"permission": "VIEW_SPACE"},
        {"email": "member@example.com", "permission": "NOT_A_PERMISSION"},
        {"email": "member@example.com", "permission": "VIEW_SPACE", "checks": []},
        {"checks": "member@example.com"},
        {"checks": [{"email": "member@example.com"}]},
    ],
)
def test_malformed_questions_are_invalid_input(
    client: TestClient, team: dict[str, Person], body: dict[str, Any]
) -> None:
    response = post(client, CHECK, team["member"], body)
    assert response.status_code == 422, response.text
    assert error_of(response)["name"] == "InvalidInput"


def test_a_batch_is_bounded(client: TestClient, team: dict[str, Person]) -> None:
    one = {"email": "member@example.com", "permission": "VIEW_SPACE", "space_name": "dev"}
    response = post(client, CHECK, team["member"], {"checks": [one] * 1001})
    assert response.status_code == 422, response.text
    response = post(client, CHECK, team["member"], {"checks": [one] * 1000})
    assert response.status_code == 200, response.text
    assert len(response.json()["results"]) == 1000


@pytest.mark.parametrize("path", [CHECK, EXPLAIN])
def test_no_credentials_answer_401(client: TestClient, team: dict[str, Person], path: str) -> None:
    body = {"email": "member@example.com", "permission": "VIEW_SPACE", "space_name": "dev"}
    response = client.post(path, json=body)
    assert response.status_code == 401, response.text
    assert error_of(response)["name"] == "Unauthorized"


# -- explain ------------------------------------------------------------------------------


def explain(client: TestClient, caller: Person, body: dict[str, Any]) -> dict[str, Any]:
    response = post(client, EXPLAIN, caller, body)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_explain_allow_through_a_space_role(client: TestClient, team: dict[str, Person]) -> None:
    answer = explain(
        client,
        team["dev"],
        {"email": "dev@example.com", "permission": "GET_CLOUD_ACCOUNT_INFO", "space_name": "dev"},
    )
    assert answer["allowed"] is True
    assert answer["missing"] is None
    assert answer["chain"] == [
        {
            "scope": "space",
            "role": "Space Developer",
            "permission": "GET_CLOUD_ACCOUNT_INFO",
            "space_name": "dev",
            "via": None,
            "group": None,
        }
    ]


def test_explain_allow_through_the_account_role(
    client: TestClient, team: dict[str, Person]
) -> None:
    answer = explain(
        client,
        team["admin"],
        {"email": "admin@example.com", "permission": "PUBLISH_BLUEPRINTS", "space_name": "ops"},
    )
    assert answer["allowed"] is True
    assert answer["chain"] == [
        {
            "scope": "account",
            "role": "Admin",
            "permission": "PUBLISH_BLUEPRINTS",
            "space_name": None,
            "via": None,
            "group": None,
        }
    ]


def test_explain_allow_through_full_access_all_spaces(
    client: TestClient, runtime: Runtime, team: dict[str, Person]
) -> None:
    new_custom_role(
        runtime,
        team["admin"].account_id,
        "Everywhere",
        Level.ACCOUNT,
        [Permission.FULL_ACCESS_ALL_SPACES],
    )
    roamer = new_user(
        runtime, team["admin"].account_id, "roamer@example.com", custom_account_role="Everywhere"
    )
    answer = explain(
        client,
        roamer,
        {"email": roamer.email, "permission": "MANAGE_SPACE_USERS", "space_name": "ops"},
    )
    assert answer["allowed"] is True
    [step] = answer["chain"]
    assert step["scope"] == "account"
    assert step["role"] == "Everywhere"
    assert step["via"] == "FULL_ACCESS_ALL_SPACES"


def test_explain_deny_names_the_nearest_missing_grant(
    client: TestClient, team: dict[str, Person]
) -> None:
    answer = explain(
        client,
        team["admin"],
        {"email": "member@example.com", "permission": "PUBLISH_BLUEPRINTS", "space_name": "dev"},
    )
    assert answer["allowed"] is False
    assert answer["chain"] == []
    assert answer["missing"] == {
        "scope": "space",
        "space_name": "dev",
        "current_role": "Space Member",
        "roles_that_grant": ["Space Admin"],
    }
    assert "Space Member" in answer["reason"]


def test_explain_deny_without_a_space_role(client: TestClient, team: dict[str, Person]) -> None:
    answer = explain(
        client,
        team["admin"],
        {"email": "member@example.com", "permission": "VIEW_SPACE", "space_name": "ops"},
    )
    assert answer["allowed"] is False
    missing = answer["missing"]
    assert missing["scope"] == "space"
    assert missing["space_name"] == "ops"
    assert missing["current_role"] is None
    assert set(missing["roles_that_grant"]) == {"Space Admin", "Space Developer", "Space Member"}


def test_explain_deny_at_account_level(client: TestClient, team: dict[str, Person]) -> None:
    answer = explain(
        client, team["dev"], {"email": "dev@example.com", "permission": "INVITE_ACCOUNT_ADMINS"}
    )
    assert answer["allowed"] is False
    assert answer["missing"] == {
        "scope": "account",
        "space_name": None,
        "current_role": "Member",
        "roles_that_grant": ["Admin"],
    }


def test_explain_agrees_with_check(client: TestClient, team: dict[str, Person]) -> None:
    questions = [
        {"email": email, "permission": p.value, "space_name": "dev"}
        for email in ("admin@example.com", "dev@example.com", "member@example.com")
        for p in Permission
    ]
    batch = post(client, CHECK, team["admin"], {"checks": questions})
    assert batch.status_code == 200, batch.text
    for question, result in zip(questions, batch.json()["results"], strict=True):
        answer = explain(client, team["admin"], question)
        assert answer["allowed"] is result["allowed"], question
        assert answer["reason"] == result["reason"]
