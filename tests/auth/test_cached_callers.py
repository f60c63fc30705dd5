"""Tokens are authenticated from memory: the first use reads the token once (also when
many requests arrive at once), later uses read nothing, a revocation is seen by the next
request, and the last use is written by a background flush, never by a request."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event, select

from spacegate.auth.models import Token
from spacegate.db import transaction
from spacegate.runtime import Runtime
from tests.api_helpers import bearer
from tests.factories import Person, add_member, new_account, new_space, new_user

CHECK = "/api/authz/check"


# The installation's own background threads (the version poll, the last-use flush) may
# query at any moment; what is counted is what serving requests sends.
BACKGROUND = {"authz-poller", "token-uses"}


class Statements:
    """The SQL statements requests send through an engine while it is attached."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.current_thread().name not in BACKGROUND:
            self.seen.append(statement)


def _team(runtime: Runtime) -> tuple[Person, Person]:
    admin = new_account(runtime)
    dev = new_space(runtime, admin.account_id, "dev")
    bob = new_user(runtime, admin.account_id, "bob@example.com")
    add_member(runtime, dev, bob.user_id, "Space Developer")
    return admin, bob


def _ask(client: TestClient, who: Person) -> Any:
    return client.post(
        CHECK,
        json={"email": "bob@example.com", "permission": "LAUNCH_SANDBOXES", "space_name": "dev"},
        headers=who.headers,
    )


def test_a_decision_over_http_makes_no_database_query(client: TestClient, runtime: Runtime) -> None:
    admin, _ = _team(runtime)
    assert _ask(client, admin).json()["allowed"] is True  # the token and index are warm
    statements = Statements()
    event.listen(runtime.engine, "before_cursor_execute", statements)
    try:
        for _ in range(20):
            assert _ask(client, admin).json()["allowed"] is True
    finally:
        event.remove(runtime.engine, "before_cursor_execute", statements)
    assert statements.seen == []


def test_many_first_uses_at_once_read_the_token_once(client: TestClient, runtime: Runtime) -> None:
    """A service starting with a new token and 32 requests at once: one read, 32 answers,
    and no write of the token's last use on any request's path."""
    admin, _ = _team(runtime)
    made = client.post("/api/token/longtoken", json={"name": "svc"}, headers=admin.headers)
    token = made.json()["access_token"]
    service = Person(admin.email, token, admin.user_id, admin.account_id)
    reads = runtime.callers.reads
    barrier = threading.Barrier(32, timeout=10)
    statements = Statements()

    def ask(_: int) -> int:
        barrier.wait()
        return int(_ask(client, service).status_code)

    event.listen(runtime.engine, "before_cursor_execute", statements)
    try:
        with ThreadPoolExecutor(max_workers=32) as pool:
            answers = list(pool.map(ask, range(32)))
    finally:
        event.remove(runtime.engine, "before_cursor_execute", statements)
    assert answers == [200] * 32
    assert runtime.callers.reads == reads + 1
    assert not [s for s in statements.seen if s.lstrip().upper().startswith("UPDATE")]


def test_the_last_use_is_written_by_the_flush(client: TestClient, runtime: Runtime) -> None:
    admin, _ = _team(runtime)
    assert _ask(client, admin).status_code == 200

    def last_used() -> Any:
        with transaction(runtime.sessions, write=False) as session:
            return session.scalar(select(Token.last_used_at).where(Token.user_id == admin.user_id))

    assert last_used() is None
    assert runtime.callers.flush_uses() == 1
    first = last_used()
    assert first is not None
    # Used again within the minute: nothing more to write.
    assert _ask(client, admin).status_code == 200
    assert runtime.callers.flush_uses() == 0
    assert last_used() == first


def test_a_revoked_token_is_refused_by_the_next_request(
    client: TestClient, runtime: Runtime
) -> None:
    admin, _ = _team(runtime)
    made = client.post("/api/token/longtoken", json={"name": "ci"}, headers=admin.headers)
    token, token_id = made.json()["access_token"], made.json()["id"]
    assert client.get("/api/me", headers=bearer(token)).status_code == 200  # cached now
    revoked = client.delete(f"/api/tokens/{token_id}", headers=admin.headers)
    assert revoked.status_code == 204
    assert client.get("/api/me", headers=bearer(token)).status_code == 401


def test_a_deactivated_users_cached_token_is_refused(client: TestClient, runtime: Runtime) -> None:
    admin, bob = _team(runtime)
    assert client.get("/api/me", headers=bob.headers).status_code == 200  # cached now
    response = client.put(
        "/api/accounts/users/bob@example.com/status?value=inactive", headers=admin.headers
    )
    assert response.status_code == 200, response.text
    assert client.get("/api/me", headers=bob.headers).status_code == 401
