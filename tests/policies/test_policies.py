"""Space policies: who manages them, refusing a module that does not compile, and
`evaluate`, which the environments call on launch and extend."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from spacegate.db import transaction
from spacegate.policies.service import PolicyDenied, enabled_policies
from spacegate.policies.service import evaluate as evaluate_policies
from spacegate.runtime import Runtime
from tests.api_helpers import audit_events, error_of
from tests.cloudaccounts.factories import Team
from tests.policies.factories import MAX_DURATION_REGO, new_policy

POLICIES = "/api/spaces/dev/policies"


def launch(duration_minutes: int, **fields: Any) -> dict[str, Any]:
    return {
        "action": "launch",
        "user": {
            "email": "developer@acme.example",
            "account_role": "Member",
            "space_role": "Space Developer",
        },
        "space": "dev",
        "blueprint": {"name": "web-app", "repository": "platform"},
        "inputs": {},
        "duration_minutes": duration_minutes,
        "production": False,
        "tags": {},
        "cloud_account": None,
        "active_sandboxes_of_user": 0,
        **fields,
    }


def evaluate(runtime: Runtime, team: Team, document: dict[str, Any]) -> list[str]:
    with transaction(runtime.sessions, write=False) as session:
        policies = enabled_policies(session, space_id=team.space_id)
    return evaluate_policies(runtime.policies, policies, document)


@pytest.mark.parametrize(("who", "status"), [("space_admin", 201), ("developer", 403)])
def test_manage_space_policies(client: TestClient, team: Team, who: str, status: int) -> None:
    body = {"name": "max-duration", "rego": MAX_DURATION_REGO, "data": {"max_duration_minutes": 60}}
    headers = getattr(team, who).headers
    created = client.post(POLICIES, json=body, headers=headers)
    if status == 201:
        assert created.status_code == 201, created.text
        assert created.json()["package"] == "spacegate.max_duration"
        assert created.json()["enabled"] is True
        assert client.get(POLICIES, headers=headers).status_code == 200
    else:
        assert "Manage space policies" in error_of(created, 403)["message"]
        error_of(client.get(POLICIES, headers=headers), 403)  # reads too


def test_a_policy_that_does_not_compile_is_refused_with_the_compilers_message(
    client: TestClient, team: Team
) -> None:
    admin = team.space_admin.headers
    broken = "package spacegate.broken\n\ndeny contains msg if {\n  msg := \n}\n"
    refused = client.post(POLICIES, json={"name": "broken", "rego": broken}, headers=admin)
    assert error_of(refused, 422, "PolicyCompileError")["message"] == (
        "The policy does not compile: Invalid assignment operator (line 4, column 7)."
    )
    unknown = "package p\n\ndeny contains msg if {\n  msg := nothing_like_this(1)\n}\n"
    refused = client.post(POLICIES, json={"name": "unknown", "rego": unknown}, headers=admin)
    assert "Function not found: nothing_like_this" in error_of(refused, 422)["message"]
    no_deny = client.post(
        POLICIES, json={"name": "quiet", "rego": "package p\n\nallow := true\n"}, headers=admin
    )
    assert "defines no `deny` rule in package p" in error_of(no_deny, 422)["message"]
    no_package = client.post(
        POLICIES, json={"name": "bare", "rego": 'deny contains "x" if true\n'}, headers=admin
    )
    assert "no package declaration" in error_of(no_package, 422)["message"]
    assert client.get(POLICIES, headers=admin).json() == []
    assert audit_events(client, team.admin, action="policy.create") == []


def test_update_recompiles_and_keeps_the_old_module_on_failure(
    client: TestClient, team: Team, runtime: Runtime
) -> None:
    new_policy(runtime, team.space_id, "max-duration")
    admin = team.space_admin.headers
    bad = client.put(f"{POLICIES}/max-duration", json={"rego": "package x\ndeny[["}, headers=admin)
    error_of(bad, 422, "PolicyCompileError")
    assert client.get(f"{POLICIES}/max-duration", headers=admin).json()["rego"] == MAX_DURATION_REGO
    changed = client.put(
        f"{POLICIES}/max-duration",
        json={"name": "Duration", "data": {"max_duration_minutes": 30}, "enabled": False},
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "Duration" and changed.json()["enabled"] is False
    assert changed.json()["updated_by"] == "space-admin@acme.example"
    [event] = audit_events(client, team.admin, action="policy.update")
    assert event["before"]["data"] == {"max_duration_minutes": 120}
    assert event["after"]["data"] == {"max_duration_minutes": 30}
    assert client.delete(f"{POLICIES}/duration", headers=admin).status_code == 204
    error_of(client.get(f"{POLICIES}/duration", headers=admin), 404)


def test_a_policy_denies_an_over_long_duration_with_its_message(
    runtime: Runtime, team: Team
) -> None:
    new_policy(runtime, team.space_id, "max-duration", data={"max_duration_minutes": 120})
    assert evaluate(runtime, team, launch(60)) == []
    messages = evaluate(runtime, team, launch(240))
    assert messages == ["Sandboxes may run at most 120 minutes; 240 were asked."]
    denied = PolicyDenied(messages)
    assert (denied.status_code, denied.name) == (403, "PolicyDenied")
    assert denied.messages == messages and denied.details == {"messages": messages}
    assert denied.message == (
        "Refused by the space's policies: Sandboxes may run at most 120 minutes; 240 were asked."
    )


def test_disabled_policies_are_ignored_and_every_message_is_returned(
    runtime: Runtime, team: Team
) -> None:
    new_policy(runtime, team.space_id, "a-duration", data={"max_duration_minutes": 120})
    new_policy(runtime, team.space_id, "b-off", data={"max_duration_minutes": 1}, enabled=False)
    new_policy(
        runtime,
        team.space_id,
        "c-production",
        source='package spacegate.prod\n\ndeny contains "No production here." if input.production\n'
        'deny contains "Really none." if input.production\n',
        data={},
    )
    assert evaluate(runtime, team, launch(60)) == []
    assert evaluate(runtime, team, launch(240, production=True)) == [
        "Sandboxes may run at most 120 minutes; 240 were asked.",
        "No production here.",
        "Really none.",
    ]


def test_a_policy_that_fails_to_evaluate_denies(runtime: Runtime, team: Team) -> None:
    """Fail closed: an error is a denial, with a message saying which policy failed."""
    source = (
        "package spacegate.ratio\n\ndeny contains msg if {\n"
        "  ratio := 100 / input.inputs.replicas\n"
        '  ratio > 10\n  msg := "Too few replicas."\n}\n'
    )
    new_policy(runtime, team.space_id, "ratio", source=source, data={})
    assert evaluate(runtime, team, launch(60, inputs={"replicas": 20})) == []
    [message] = evaluate(runtime, team, launch(60, inputs={"replicas": 0}))
    assert message == "Policy 'ratio' could not be evaluated: divide by zero."
    [message] = evaluate(runtime, team, launch(60, inputs={"replicas": "two"}))
    assert message.startswith("Policy 'ratio' could not be evaluated: ")


def test_policies_of_other_spaces_do_not_apply(
    runtime: Runtime, team: Team, client: TestClient
) -> None:
    new_policy(runtime, team.space_id, "max-duration", data={"max_duration_minutes": 1})
    with transaction(runtime.sessions, write=False) as session:
        assert enabled_policies(session, space_id=team.space_id + 1000) == []
    error_of(client.get(POLICIES, headers=team.outsider.headers), 404)
    error_of(client.get(f"{POLICIES}/max-duration", headers=team.stranger.headers), 404)


def test_windows_line_ends_are_stored_as_unix_ones(client: TestClient, team: Team) -> None:
    """Browsers (and some clients) send `\r\n`; the module must still compile."""
    body = {
        "name": "crlf",
        "rego": MAX_DURATION_REGO.replace("\n", "\r\n"),
        "data": {"max_duration_minutes": 60},
    }
    created = client.post(POLICIES, json=body, headers=team.space_admin.headers)
    assert created.status_code == 201, created.text
    assert created.json()["package"] == "spacegate.max_duration"
    assert "\r" not in created.json()["rego"]
