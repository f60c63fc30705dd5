"""`POST /api/spaces/{space}/validations/blueprints`, as Torque's CLI calls it."""

from __future__ import annotations

import base64

from fastapi.testclient import TestClient

from tests.api_helpers import error_of
from tests.blueprints.gitrepo import EXAMPLE_REPO
from tests.cloudaccounts.factories import Team

URL = "/api/spaces/dev/validations/blueprints"


def raw(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_the_example_blueprints_are_valid(client: TestClient, team: Team) -> None:
    assert client.post(
        "/api/spaces/dev/repositories",
        json={"name": "platform-blueprints", "url": "https://example.com/p.git"},
        headers=team.admin.headers,
    ).is_success
    for path in sorted((EXAMPLE_REPO / "blueprints").glob("*.yaml")):
        body = {"blueprint_name": path.stem, "blueprint_raw_64": raw(path.read_text())}
        answer = client.post(URL, json=body, headers=team.member.headers)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"errors": [], "warnings": []}, path.name


def test_errors_come_with_their_place(client: TestClient, team: Team) -> None:
    text = """spec_version: 2
inputs:
  size:
    type: numeric
    default: 3
grains:
  app:
    kind: helm
    spec:
      source:
        store: charts
        path: helm/app
      inputs:
        - name: '{{ .inputs.name }}'
"""
    answer = client.post(URL, json={"blueprint_raw_64": raw(text)}, headers=team.developer.headers)
    assert answer.status_code == 200, answer.text
    [error] = answer.json()["errors"]
    assert error == {
        "message": "'name' is used as an input but not declared in inputs.",
        "path": "grains->app->spec->inputs->0->name",
        "line": 14,
        "column": 11,
    }
    [warning] = answer.json()["warnings"]
    assert "store 'charts'" in warning["message"]


def test_yaml_syntax_errors_and_bad_base64(client: TestClient, team: Team) -> None:
    answer = client.post(
        URL,
        json={"blueprint_raw_64": raw("spec_version: 2\n  grains: [\n")},
        headers=team.member.headers,
    )
    [error] = answer.json()["errors"]
    assert error["message"].startswith("The file is not valid YAML") and error["line"] == 2
    error_of(
        client.post(URL, json={"blueprint_raw_64": "not base64!"}, headers=team.member.headers), 422
    )
    error_of(client.post(URL, json={}, headers=team.member.headers), 422)


def test_anyone_in_the_space_may_validate_and_nobody_else(client: TestClient, team: Team) -> None:
    body = {"blueprint_raw_64": raw("spec_version: 2\n")}
    assert client.post(URL, json=body, headers=team.member.headers).status_code == 200
    error_of(client.post(URL, json=body, headers=team.outsider.headers), 404)
    error_of(client.post(URL, json=body, headers=team.stranger.headers), 404)
    error_of(client.post(URL, json=body), 401)
