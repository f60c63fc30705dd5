"""A page of a list reads what the page shows: in an account of thousands of spaces, the
audit log and the invitations list do not read every space to name a few."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event

from spacegate.runtime import Runtime
from tests.factories import new_account, new_space

BACKGROUND = ("authz-poller", "token-uses", "access-log")


@contextmanager
def statements(runtime: Runtime) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.current_thread().name not in BACKGROUND:
            seen.append(" ".join(statement.split()))

    event.listen(runtime.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(runtime.engine, "before_cursor_execute", note)


def _reads_of_spaces(seen: list[str]) -> list[str]:
    return [s for s in seen if re.search(r"\bFROM spaces\b", s)]


def test_audit_and_invitation_pages_read_only_the_spaces_they_name(
    client: TestClient, runtime: Runtime
) -> None:
    admin = new_account(runtime)
    for number in range(30):
        new_space(runtime, admin.account_id, f"space-{number}")
    invited = client.post(
        "/api/accounts/invitations",
        json={"emails": ["kim@example.com"], "space_name": "space-7", "space_role": "Space Admin"},
        headers=admin.headers,
    )
    assert invited.status_code in (200, 201), invited.text

    with statements(runtime) as seen:
        audit = client.get("/api/audit", headers=admin.headers)
    assert audit.status_code == 200 and audit.json()
    assert _reads_of_spaces(seen) == []  # the grant index names the spaces

    with statements(runtime) as seen:
        listed = client.get("/api/accounts/invitations", headers=admin.headers)
    assert listed.status_code == 200, listed.text
    assert "space-7" in listed.text
    reads = _reads_of_spaces(seen)
    assert reads and all("spaces.id IN" in read for read in reads), reads
