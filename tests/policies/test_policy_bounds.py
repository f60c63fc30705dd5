"""Policies run outside any transaction, bounded in time and memory, and quietly
(finding 4 of the security review, and its `print()` part of finding 16)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection

import pytest
from fastapi.testclient import TestClient

from spacegate.policies import sandbox
from spacegate.policies.sandbox import PolicyEvaluator
from spacegate.runtime import Runtime
from tests.api_helpers import error_of
from tests.cloudaccounts.factories import Team
from tests.environments.factories import launch_body, new_launchable
from tests.factories import PASSWORD
from tests.policies.factories import new_policy

ENVIRONMENTS = "/api/spaces/dev/environments"
POLICIES = "/api/spaces/dev/policies"

# Nine million steps and almost no memory: about half a minute of rego-cpp.
RUNS_LONG = """package spacegate.slow

deny contains "never" if {
    some i in numbers.range(1, 3000)
    some j in numbers.range(1, 3000)
    i * j == -1
}
"""
# A comprehension over the input's square: gigabytes when `input.duration_minutes` is big.
NEEDS_MEMORY = """package spacegate.greedy

deny contains "never" if {
    n := count([x | some i in numbers.range(1, input.duration_minutes * 10)
                     some j in numbers.range(1, input.duration_minutes * 10)
                     x := i * j])
    n < 0
}
"""
PRINTS = """package spacegate.chatty

deny contains "Printed and refused." if {
    print("SECRET-MARKER-of-the-policy", input.user.email)
    input.production == false
}
"""


@pytest.fixture
def bounded(runtime: Runtime) -> Iterator[PolicyEvaluator]:
    """Tighter bounds than the defaults, so that the test waits seconds, not minutes."""
    runtime.policies.close()
    runtime.policies = PolicyEvaluator(workers=2, timeout_seconds=3, memory_mib=256)
    yield runtime.policies


def test_a_long_policy_is_stopped_at_its_deadline_while_other_tenants_work(
    client: TestClient, runtime: Runtime, team: Team, bounded: PolicyEvaluator
) -> None:
    new_launchable(runtime, team.space_id)
    new_policy(runtime, team.space_id, "slow", source=RUNS_LONG, data={})
    started = threading.Event()

    def launch() -> object:
        started.set()
        return client.post(ENVIRONMENTS, json=launch_body(), headers=team.developer.headers)

    with ThreadPoolExecutor(max_workers=1) as pool:
        launching = pool.submit(launch)
        started.wait(5)
        threading.Event().wait(0.5)  # the launch is evaluating its policy by now
        login = client.post(
            "/api/accounts/globex/login",
            json={"email": team.stranger.email, "password": PASSWORD},
        )
        assert login.status_code == 200, login.text
        created = client.post(
            "/api/spaces",
            json={"name": "written-meanwhile"},
            headers={"Authorization": f"Bearer {login.json()['access_token']}"},
        )
        assert created.status_code == 201, created.text
        assert not launching.done(), "the launch should still be evaluating its policy"
        refused = launching.result(timeout=60)
    message = error_of(refused, 403, "PolicyDenied")["message"]
    assert "Policy 'slow' could not be evaluated" in message
    assert "ran longer than 3 seconds" in message
    # The worker that ran it was replaced: the next launch is evaluated again.
    again = client.post(ENVIRONMENTS, json=launch_body(), headers=team.developer.headers)
    assert "Policy 'slow'" in error_of(again, 403, "PolicyDenied")["message"]


def test_a_policy_that_needs_too_much_memory_fails_closed(
    client: TestClient, runtime: Runtime, team: Team, bounded: PolicyEvaluator
) -> None:
    new_launchable(runtime, team.space_id)
    new_policy(runtime, team.space_id, "greedy", source=NEEDS_MEMORY, data={})
    refused = client.post(
        ENVIRONMENTS, json=launch_body(duration="PT120M"), headers=team.developer.headers
    )
    message = error_of(refused, 403, "PolicyDenied")["message"]
    assert "Policy 'greedy' could not be evaluated" in message
    assert "more than 256 MiB" in message


def test_a_module_past_its_bounds_on_a_sample_input_is_refused_when_saved(
    client: TestClient, team: Team, bounded: PolicyEvaluator
) -> None:
    for name, rego, bound in (("slow", RUNS_LONG, "ran longer"), ("greedy", NEEDS_MEMORY, "MiB")):
        answer = client.post(
            POLICIES,
            json={"name": name, "rego": rego, "data": {}},
            headers=team.space_admin.headers,
        )
        message = error_of(answer, 422, "PolicyCompileError")["message"]
        assert "on a sample launch" in message and bound in message
    assert client.get(POLICIES, headers=team.space_admin.headers).json() == []


def test_a_policys_print_reaches_no_log(
    client: TestClient,
    runtime: Runtime,
    team: Team,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    new_launchable(runtime, team.space_id)
    saved = client.post(
        POLICIES,
        json={"name": "chatty", "rego": PRINTS, "data": {}},
        headers=team.space_admin.headers,
    )
    assert saved.status_code == 201, saved.text
    refused = client.post(ENVIRONMENTS, json=launch_body(), headers=team.developer.headers)
    assert error_of(refused, 403, "PolicyDenied")["message"].endswith("Printed and refused.")
    out, err = capfd.readouterr()
    assert "SECRET-MARKER" not in out + err + caplog.text


def _slow_to_start(connection: Connection, memory_bytes: int) -> None:
    """A worker on a busy machine: a second to start before it serves (run in the
    spawned process, which imports this module by name)."""
    time.sleep(1.0)
    sandbox._serve(connection, memory_bytes)


def test_a_workers_start_does_not_count_against_the_policys_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sandbox, "_serve", _slow_to_start)
    evaluator = PolicyEvaluator(workers=1, timeout_seconds=0.5, memory_mib=256)
    try:
        assert evaluator.check_module(PRINTS, {}, {"production": True}) == "spacegate.chatty"
    finally:
        evaluator.close()
