"""The terraform executor, for real: a blueprint repository synced from git, a module
with only built-in resources (`terraform_data`, so no provider is downloaded), applied,
read for outputs, and destroyed."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from spacegate.environments.executors.terraform import find_terraform
from spacegate.environments.runner import work_root
from spacegate.runtime import Runtime
from spacegate.settings import Settings
from tests.blueprints.gitrepo import Origin
from tests.cloudaccounts.factories import Team
from tests.environments.factories import read, wait_for_status


def _terraform_version() -> tuple[int, int] | None:
    binary = find_terraform()
    if binary is None:
        return None
    done = subprocess.run([binary, "version"], capture_output=True, text=True, check=False)
    found = re.search(r"v(\d+)\.(\d+)", done.stdout)
    return (int(found.group(1)), int(found.group(2))) if found else None


VERSION = _terraform_version()
pytestmark = pytest.mark.skipif(
    VERSION is None or VERSION < (1, 4),
    reason="needs terraform >= 1.4 on PATH (for terraform_data); Debian and PyPI ship none",
)

MODULE = """
variable "greeting" {
  type = string
}

variable "tags" {
  type    = map(string)
  default = {}
}

resource "terraform_data" "hello" {
  input = {
    greeting = var.greeting
    tags     = var.tags
  }
}

output "message" {
  value = "${var.greeting}, ${var.tags["spacegate-owner-email"]}"
}

output "tagged" {
  value = terraform_data.hello.output.tags
}
"""

BLUEPRINT = """spec_version: 2
description: Says hello with terraform.
inputs:
  greeting:
    type: string
    default: hello
outputs:
  message:
    value: '{{ .grains.hello.outputs.message }}'
grains:
  hello:
    kind: terraform
    cost_per_hour: 1.5
    spec:
      source:
        store: infra
        path: terraform/hello
      inputs:
        - greeting: '{{ .inputs.greeting }}'
      outputs:
        - message
"""

BROKEN = """spec_version: 2
grains:
  broken:
    kind: terraform
    spec:
      source:
        store: infra
        path: terraform/broken
"""


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"executor": "auto"})


@pytest.fixture
def origin(tmp_path: Path) -> Origin:
    origin = Origin(tmp_path / "infra.git")
    origin.commit(
        {
            "blueprints/hello.yaml": BLUEPRINT,
            "blueprints/broken.yaml": BROKEN,
            "terraform/hello/main.tf": MODULE,
            "terraform/broken/main.tf": 'resource "terraform_data" "x" {\n  input = \n}\n',
        }
    )
    return origin


def _connect(client: TestClient, team: Team, origin: Origin) -> None:
    admin = team.space_admin.headers
    created = client.post(
        "/api/spaces/dev/repositories", json={"name": "infra", "url": origin.url}, headers=admin
    )
    assert created.status_code == 201, created.text
    synced = client.post("/api/spaces/dev/repositories/infra/sync", headers=admin)
    assert synced.json()["status"] == "ok", synced.text
    for name in ("hello", "broken"):
        published = client.post(
            "/api/spaces/dev/catalog", json={"blueprint_name": name}, headers=admin
        )
        assert published.status_code == 200, published.text


def test_terraform_round_trip(
    client: TestClient, runtime: Runtime, team: Team, origin: Origin
) -> None:
    _connect(client, team, origin)
    response = client.post(
        "/api/spaces/dev/environments",
        json={
            "environment_name": "tf",
            "duration": "PT30M",
            "inputs": {"greeting": "hi"},
            "source": {"blueprint_name": "hello", "repository_name": "infra"},
        },
        headers=team.member.headers,
    )
    assert response.status_code == 200, response.text
    environment_id = response.json()["id"]
    body = wait_for_status(
        client, "dev", environment_id, team.member, {"Active", "Active With Error"}, 120
    )
    assert body["details"]["computed_status"] == "Active", (body["errors"], body["log"])
    assert body["outputs"] == {"message": f"hi, {team.member.email}"}
    [resource] = body["resources"]
    assert resource["executor"] == "terraform"
    assert resource["attributes"]["addresses"] == ["terraform_data.hello"]
    assert resource["cost_per_hour"] == 1.5
    assert resource["tags"]["spacegate-environment-id"] == environment_id
    assert "Apply complete! Resources: 1 added" in body["log"]
    state = work_root(runtime.settings, environment_id) / "hello" / "terraform.tfstate"
    assert state.exists()

    ended = client.delete(
        f"/api/spaces/dev/environments/{environment_id}", headers=team.member.headers
    )
    assert ended.status_code == 200, ended.text
    body = wait_for_status(
        client, "dev", environment_id, team.member, {"Ended", "Ended With Error"}, 120
    )
    assert body["details"]["computed_status"] == "Ended", (body["errors"], body["log"])
    assert "Destroy complete! Resources: 1 destroyed" in body["log"]
    assert not work_root(runtime.settings, environment_id).exists()


def test_a_failing_terraform_module_keeps_the_error_and_the_log(
    client: TestClient, runtime: Runtime, team: Team, origin: Origin
) -> None:
    _connect(client, team, origin)
    response = client.post(
        "/api/spaces/dev/environments",
        json={
            "environment_name": "broken",
            "source": {"blueprint_name": "broken", "repository_name": "infra"},
        },
        headers=team.member.headers,
    )
    environment_id = response.json()["id"]
    runtime.environments.wait_idle(120)
    body = read(client, "dev", environment_id, team.member)
    assert body["details"]["computed_status"] == "Active With Error"
    [error] = body["errors"]
    assert error["grain"] == "broken"
    assert error["message"].startswith("terraform init of grain 'broken' failed")
    assert "$ terraform init" in body["log"]
