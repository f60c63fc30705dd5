"""How an environment's tags resolve: `resolve_environment_tags`, the function the
environments call at launch."""

from __future__ import annotations

import pytest

from spacegate.db import transaction
from spacegate.errors import InvalidInput
from spacegate.runtime import Runtime
from spacegate.tags.resolution import resolve_environment_tags
from spacegate.tags.rules import (
    SYSTEM_TAG_ACCOUNT,
    SYSTEM_TAG_BLUEPRINT,
    SYSTEM_TAG_ENVIRONMENT,
    SYSTEM_TAG_OWNER,
    SYSTEM_TAG_SPACE,
)
from tests.blueprints.factories import new_blueprint, new_repository
from tests.cloudaccounts.factories import Team
from tests.tags.factories import blueprint_id, new_tag, set_blueprint_value, set_space_value

SYSTEM = {
    SYSTEM_TAG_ACCOUNT: "acme",
    SYSTEM_TAG_SPACE: "dev",
    SYSTEM_TAG_OWNER: "developer@acme.example",
    SYSTEM_TAG_ENVIRONMENT: "env-1",
    SYSTEM_TAG_BLUEPRINT: "web-app",
}


def resolve(
    runtime: Runtime,
    team: Team,
    bp: int | None,
    launch: dict[str, str] | None = None,
) -> dict[str, str]:
    with transaction(runtime.sessions, write=False) as session:
        return resolve_environment_tags(
            session,
            account_id=team.admin.account_id,
            space_id=team.space_id,
            blueprint_id=bp,
            launch_values=launch or {},
            system=SYSTEM,
        )


@pytest.fixture
def bp(runtime: Runtime, team: Team) -> int:
    new_blueprint(runtime, new_repository(runtime, team.space_id), "web-app", published=True)
    return blueprint_id(runtime, team.space_id, "platform", "web-app")


@pytest.fixture
def tags(runtime: Runtime, team: Team, bp: int) -> None:
    """One tag per scope, each with a value set at every level (those the scope does
    not allow were written directly, as if by an older rule: they must be ignored)."""
    account = team.admin.account_id
    for scope in ("account", "space", "blueprint", "environment"):
        tag_id = new_tag(runtime, account, f"t-{scope}", scope=scope, value=f"{scope}-default")
        set_space_value(runtime, team.space_id, tag_id, f"{scope}-space")
        set_blueprint_value(runtime, bp, tag_id, f"{scope}-blueprint")
    new_tag(runtime, account, "no-default", scope="environment")
    new_tag(runtime, account, "size", scope="environment", possible_values=("s", "m"))


def test_defaults_then_space_then_blueprint_then_launch_each_where_its_scope_allows(
    runtime: Runtime, team: Team, bp: int, tags: None
) -> None:
    resolved = resolve(runtime, team, bp, {"T-ENVIRONMENT": "launched", "size": "m"})
    assert resolved == {
        **SYSTEM,
        "t-account": "account-default",
        "t-blueprint": "blueprint-blueprint",
        "t-environment": "launched",
        "t-space": "space-space",
        "size": "m",
    }
    assert list(resolved)[:5] == list(SYSTEM)  # system tags first


def test_without_a_blueprint_or_launch_values(
    runtime: Runtime, team: Team, bp: int, tags: None
) -> None:
    resolved = resolve(runtime, team, None)
    assert {k: v for k, v in resolved.items() if k.startswith("t-")} == {
        "t-account": "account-default",
        "t-space": "space-space",
        "t-blueprint": "blueprint-space",
        "t-environment": "environment-space",
    }
    # A tag without a default, set nowhere, is left out.
    assert "no-default" not in resolved and "size" not in resolved


@pytest.mark.parametrize(
    ("launch", "message"),
    [
        (
            {"nope": "x"},
            "There is no tag named 'nope'; define it in the account's tags first.",
        ),
        (
            {"t-blueprint": "x"},
            "Tag 't-blueprint' has scope 'blueprint': its value can be set only in its "
            "definition, in spaces and on blueprints, not when launching an environment.",
        ),
        (
            {"size": "xl"},
            "'xl' is not a possible value of tag 'size'; choose one of: 's', 'm'.",
        ),
        (
            {SYSTEM_TAG_OWNER: "someone@else.example"},
            f"'{SYSTEM_TAG_OWNER}' is a system tag; spacegate sets its value.",
        ),
        ({"size": " "}, "The value of tag 'size' must not be empty."),
    ],
)
def test_bad_launch_values_are_refused_with_a_sentence(
    runtime: Runtime, team: Team, bp: int, tags: None, launch: dict[str, str], message: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        resolve(runtime, team, bp, launch)
    assert refused.value.message == message
    assert refused.value.status_code == 422


def test_every_problem_is_reported_at_once(
    runtime: Runtime, team: Team, bp: int, tags: None
) -> None:
    with pytest.raises(InvalidInput) as refused:
        resolve(runtime, team, bp, {"nope": "x", "size": "xl"})
    assert len(refused.value.details["problems"]) == 2
