"""Syncing over HTTP from peers on loopback: a slow remote holds no transaction (other
tenants keep working), the whole fetch has a deadline, a token goes only to the host it
was given for, and URLs cannot reach internal addresses (findings 1, 2 and 3 of the
security review)."""

from __future__ import annotations

import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from spacegate.blueprints import git
from spacegate.runtime import Runtime
from tests.api_helpers import error_of
from tests.blueprints.gitrepo import Origin, example_origin
from tests.blueprints.http_peers import git_server, not_git, raw_server, redirect_to, trickle
from tests.cloudaccounts.factories import Team
from tests.factories import PASSWORD

REPOS = "/api/spaces/dev/repositories"
TOKEN = "ghp_theRepositoryToken0123456789abcdefXYZ"
LOOPBACK = ("127.0.0.1/32",)


@pytest.fixture
def origin(tmp_path_factory: pytest.TempPathFactory) -> Origin:
    return example_origin(tmp_path_factory.mktemp("origin") / "platform")


@pytest.fixture
def loopback_allowed(runtime: Runtime) -> Runtime:
    """An installation whose operator lets URLs reach 127.0.0.1 (where the test peers
    run); every other internal address stays refused."""
    runtime.settings.outbound_allowed_networks = LOOPBACK
    return runtime


def connect(client: TestClient, team: Team, url: str, **extra: Any) -> dict[str, Any]:
    body = {"name": "platform", "url": url, "path": "blueprints", **extra}
    created = client.post(REPOS, json=body, headers=team.space_admin.headers)
    assert created.status_code == 201, created.text
    result: dict[str, Any] = created.json()
    return result


def sync(client: TestClient, team: Team) -> dict[str, Any]:
    answer = client.post(f"{REPOS}/platform/sync", headers=team.space_admin.headers)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


# -- 1. a slow remote stops nobody ----------------------------------------------------------


def test_a_trickling_remote_holds_no_transaction_and_meets_its_deadline(
    client: TestClient, runtime: Runtime, team: Team, loopback_allowed: Runtime
) -> None:
    """While a sync reads from a server that sends one byte every 0.2 s, another
    account signs in and writes, and a second sync of the repository is told that one
    is running; the sync itself fails with the neutral sentence once its deadline has
    passed."""
    runtime.settings.git_fetch_deadline_seconds = 4
    with raw_server(trickle(0.2)) as (port, seen):
        connect(client, team, f"http://127.0.0.1:{port}/platform.git")
        with ThreadPoolExecutor(max_workers=1) as pool:
            syncing = pool.submit(sync, client, team)
            while not seen.connections:  # the fetch has started
                threading.Event().wait(0.02)

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
            again = sync(client, team)
            assert again["status"] == "running", again
            assert not syncing.done(), "the sync should still be reading the trickle"

            result = syncing.result(timeout=30)
    assert result["status"] == "error"
    assert result["message"] == git.UNREADABLE
    assert result["repository"]["last_sync"]["status"] == "error"
    # The claim is released: the next sync runs (and fails, the peer being gone).
    assert sync(client, team)["status"] == "error"


# -- 2. the token goes only where it was given for ----------------------------------------


def test_a_new_url_drops_the_token_and_the_new_host_never_receives_it(
    client: TestClient, team: Team, origin: Origin, loopback_allowed: Runtime
) -> None:
    with git_server(origin.root) as (url, real), raw_server(not_git) as (port, listener):
        created = connect(client, team, url, token=TOKEN)
        assert created["has_token"] is True
        assert sync(client, team)["status"] == "ok"
        assert real.authorizations, "the token's own host receives it"

        moved = client.put(
            f"{REPOS}/platform",
            json={"url": f"http://127.0.0.1:{port}/platform.git"},
            headers=team.space_admin.headers,
        )
        assert moved.status_code == 200, moved.text
        assert moved.json()["has_token"] is False
        assert sync(client, team)["status"] == "error"
        assert listener.requests, "the sync did reach the new URL"
        assert listener.authorizations == []

        # Given again with the new URL, the token belongs to the new host.
        client.put(
            f"{REPOS}/platform",
            json={"url": url, "token": TOKEN},
            headers=team.space_admin.headers,
        )
        assert sync(client, team)["status"] == "ok"


def test_a_redirect_to_another_host_does_not_carry_the_token(
    client: TestClient, team: Team, loopback_allowed: Runtime
) -> None:
    with (
        raw_server(not_git) as (port, elsewhere),
        raw_server(redirect_to(f"http://localhost:{port}")) as (redirecting, first),
    ):
        runtime_networks = loopback_allowed.settings.outbound_allowed_networks
        assert runtime_networks == LOOPBACK
        connect(client, team, f"http://127.0.0.1:{redirecting}/platform.git", token=TOKEN)
        assert sync(client, team)["message"] == git.UNREADABLE
        assert first.authorizations, "the host the token was given for receives it"
        assert elsewhere.requests, "the redirect was followed"
        assert elsewhere.authorizations == []


# -- 3. no internal addresses ---------------------------------------------------------------

INTERNAL_URLS = [
    "http://169.254.169.254/latest/meta-data/",
    "http://127.0.0.1:8000/",
    "http://[::1]/repo.git",
    "http://2130706433/repo.git",
    "http://0x7f.1/repo.git",
    "http://0.0.0.0:22/",
    "http://10.1.2.3/repo.git",
    "http://[::ffff:127.0.0.1]/repo.git",
    "http://224.0.0.1/repo.git",
]


@pytest.mark.parametrize("url", INTERNAL_URLS)
def test_an_internal_address_is_refused(client: TestClient, team: Team, url: str) -> None:
    answer = client.post(
        REPOS, json={"name": "platform", "url": url}, headers=team.space_admin.headers
    )
    assert "internal address" in error_of(answer, 422)["message"]


def test_a_name_that_resolves_to_loopback_is_refused_when_fetched(
    client: TestClient, team: Team
) -> None:
    """`localhost` is a name, accepted when saved; its addresses are checked at each
    connection, and the sync fails with the neutral sentence without connecting."""
    with raw_server(not_git) as (port, listener):
        connect(client, team, f"http://localhost:{port}/platform.git")
        result = sync(client, team)
    assert result["status"] == "error" and result["message"] == git.UNREADABLE
    assert listener.connections == 0


def test_a_redirect_to_an_internal_address_is_not_followed(
    client: TestClient, team: Team, loopback_allowed: Runtime
) -> None:
    """127.0.0.1 is allowed here, 127.0.0.2 is not: a redirect there goes nowhere."""
    with (
        raw_server(not_git, host="127.0.0.2") as (port, internal),
        raw_server(redirect_to(f"http://127.0.0.2:{port}")) as (redirecting, _first),
    ):
        connect(client, team, f"http://127.0.0.1:{redirecting}/platform.git")
        assert sync(client, team)["message"] == git.UNREADABLE
    assert internal.connections == 0


def test_failures_read_the_same_whatever_is_at_the_port(
    client: TestClient, team: Team, loopback_allowed: Runtime
) -> None:
    """A closed port, another service's open port and a refused address answer the same
    sentence: the message tells an attacker nothing about what listens where."""
    with raw_server(not_git) as (open_port, _seen):
        connect(client, team, f"http://127.0.0.1:{open_port}/x.git")
        messages = {sync(client, team)["message"]}
        for url in (
            f"http://127.0.0.1:{closed_port()}/x.git",
            f"http://[::1]:{open_port}/x.git",  # refused: only 127.0.0.1 is allowed
            f"http://no-such-host.invalid:{open_port}/x.git",
        ):
            changed = client.put(
                f"{REPOS}/platform", json={"url": url}, headers=team.space_admin.headers
            )
            if changed.status_code == 422:  # refused as it is saved: as refused as can be
                continue
            assert changed.status_code == 200, changed.text
            messages.add(sync(client, team)["message"])
    assert messages == {git.UNREADABLE}


def closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port: int = probe.getsockname()[1]
    probe.close()
    return port
