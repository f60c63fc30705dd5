"""A policy must not read the server's process environment (`opa.runtime()`):
a Space Admin could put SPACEGATE_SECRET_KEY or a database password into a `deny`
message and read it back from a refused launch."""

from __future__ import annotations

import os

import pytest
from fastapi.testclient import TestClient

from spacegate.db import transaction
from spacegate.policies.service import enabled_policies, evaluate
from spacegate.runtime import Runtime
from tests.api_helpers import error_of
from tests.cloudaccounts.factories import Team
from tests.policies.factories import new_policy

POLICIES = "/api/spaces/dev/policies"
SECRET = "review-canary-value-1234"

READS_ENV = [
    "deny contains msg if { msg := opa.runtime().env.REVIEW_CANARY }",
    "deny contains msg if { x := opa .runtime(); msg := x.env.REVIEW_CANARY }",
    "deny contains msg if { x := opa#c\n.runtime(); msg := x.env.REVIEW_CANARY }",
    'deny contains msg if { msg := opa["runtime"]().env.REVIEW_CANARY }',
]


@pytest.fixture(autouse=True)
def canary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REVIEW_CANARY", SECRET)
    assert os.environ["REVIEW_CANARY"] == SECRET


@pytest.mark.parametrize("body", READS_ENV)
def test_a_policy_reading_the_process_environment_is_refused_when_saved(
    client: TestClient, team: Team, body: str
) -> None:
    rego_source = f"package spacegate.leak\nimport rego.v1\n{body}\n"
    answer = client.post(
        POLICIES,
        json={"name": "leak", "rego": rego_source, "data": {}},
        headers=team.space_admin.headers,
    )
    error = error_of(answer, 422, "PolicyCompileError")
    assert "opa.runtime" in error["message"]
    assert SECRET not in answer.text


@pytest.mark.parametrize("body", READS_ENV)
def test_a_stored_policy_reading_the_environment_fails_closed_without_the_value(
    runtime: Runtime, team: Team, body: str
) -> None:
    source = f"package spacegate.leak\nimport rego.v1\n{body}\n"
    new_policy(runtime, team.space_id, "leak", source=source, data={})
    with transaction(runtime.sessions, write=False) as session:
        policies = enabled_policies(session, space_id=team.space_id)
    messages = evaluate(runtime.policies, policies, {})
    assert len(messages) == 1
    assert messages[0].startswith("Policy 'leak' could not be evaluated: ")
    assert SECRET not in messages[0]
