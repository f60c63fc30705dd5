"""scim2-tester, the SCIM conformance checker, against the running server: every
check it runs must pass (a check it skips names a feature the server announces it
does not have)."""

from __future__ import annotations

from collections import Counter

from fastapi.testclient import TestClient
from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

from spacegate.runtime import Runtime
from tests.factories import new_account
from tests.scim.conftest import new_scim_token
from tests.scim.served import serving


def test_scim2_tester_finds_nothing_wrong(client: TestClient, runtime: Runtime) -> None:
    admin = new_account(runtime, "acme", "admin@example.com")
    token = new_scim_token(client, admin)
    with (
        serving(runtime) as url,
        Client(
            base_url=f"{url}/scim/v2", headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as http,
    ):
        results = check_server(SyncSCIMClient(http))
    statuses = Counter(result.status for result in results)
    failed = [r for r in results if r.status not in (Status.SUCCESS, Status.SKIPPED)]
    print(
        f"scim2-tester: {statuses[Status.SUCCESS]} passed, {statuses[Status.SKIPPED]} skipped, "
        f"{len(failed)} failed, {len(results)} checks"
    )
    for result in results:
        if result.status is Status.SKIPPED:
            print("skipped:", result.title, result.resource_type, result.reason)
    assert not failed, "\n".join(
        f"{r.status.name} {r.title} [{r.resource_type}]: {r.reason}" for r in failed
    )
    assert statuses[Status.SUCCESS] > 50
