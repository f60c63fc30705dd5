"""Bad blueprint files and repository URLs answer with a sentence, never a 500."""

from __future__ import annotations

import base64

import pytest
from fastapi.testclient import TestClient

from spacegate.blueprints.spec import parse_blueprint
from tests.api_helpers import error_of
from tests.cloudaccounts.factories import Team

NOT_A_NAME = [
    "spec_version: 2\ngrains:\n  app:\n    kind: {x: 1}\n",
    "spec_version: 2\ngrains:\n  app:\n    kind: [terraform]\n",
]


@pytest.mark.parametrize("text", NOT_A_NAME)
def test_a_grain_kind_that_is_not_text_is_a_validation_error(
    client: TestClient, team: Team, text: str
) -> None:
    parsed = parse_blueprint("web", text)
    assert any("unknown kind" in problem.message for problem in parsed.errors)
    answer = client.post(
        "/api/spaces/dev/validations/blueprints",
        json={"blueprint_raw_64": base64.b64encode(text.encode()).decode()},
        headers=team.member.headers,
    )
    assert answer.status_code == 200, answer.text
    assert any("unknown kind" in error["message"] for error in answer.json()["errors"])


@pytest.mark.parametrize(
    "url", ["/srv/repo\x00", "file:///srv/\x00repo", "file:///srv/%00repo", "http://[::1/repo.git"]
)
def test_a_malformed_repository_url_is_refused(client: TestClient, team: Team, url: str) -> None:
    answer = client.post(
        "/api/spaces/dev/repositories",
        json={"name": "broken", "url": url, "branch": "main", "path": "blueprints"},
        headers=team.space_admin.headers,
    )
    error_of(answer, 422, "InvalidInput")
