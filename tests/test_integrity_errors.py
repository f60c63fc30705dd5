"""A row whose parent another request removed meanwhile is a 409, not a 500."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from spacegate.db import transaction
from spacegate.http_errors import install_error_handlers
from spacegate.runtime import Runtime
from spacegate.spaces.models import SpaceMembership


def test_a_foreign_key_refusal_answers_409(runtime: Runtime) -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/api/orphan")
    def orphan() -> None:
        # The space and user do not exist: the database's foreign keys refuse the row,
        # as they would for a role deleted by another request at the same moment.
        with transaction(runtime.sessions) as session:
            session.add(SpaceMembership(space_id=987654, user_id=987654, role="Space Member"))

    answer = TestClient(app, raise_server_exceptions=False).post("/api/orphan")
    assert answer.status_code == 409
    assert answer.json()["errors"][0]["name"] == "Conflict"
    assert "removed meanwhile" in answer.json()["errors"][0]["message"]
