"""Torque's own CLI (`torque-cli` 1.8.1) against spacegate over HTTPS.

The requests below were recorded from the real CLI (`torque --token T --space dev
bp list`, `env start nightly-cleanup --repo platform-blueprints -d 30`, `env status`,
`env get`, `env list`, `env end`, and a Space Member's `bp list` and `env start web-app
... -d 600` refused by a policy) run against `spacegate serve --ssl-certfile --ssl-keyfile`: method,
path and body, as the CLI sent them. The test replays them against the app served by
uvicorn with a self-signed certificate for 127.0.0.1, and checks the fields the CLI
reads (`torque/environments.py`, `torque/models/blueprints.py`, `torque/client.py`).
"""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from spacegate.app import create_app
from spacegate.runtime import Runtime
from tests.blueprints.gitrepo import example_origin
from tests.cloudaccounts.factories import Team

# What `torque` sent, in order ({id}: the id the launch answered).
DEVELOPER_SESSION: list[tuple[str, str, Any]] = [
    ("GET", "/api/spaces/dev/blueprints", None),  # bp list
    # env start nightly-cleanup --repo platform-blueprints -d 30
    ("GET", "/api/spaces/dev/catalog/nightly-cleanup?repository_name=platform-blueprints", None),
    (
        "POST",
        "/api/spaces/dev/environments",
        {
            "environment_name": "nightly-cleanup-Nov27-04:18:55",
            "duration": "PT30M",
            "inputs": {"namespace": "sandbox", "dry_run": "true"},
            "source": {
                "blueprint_name": "nightly-cleanup",
                "repository_name": "platform-blueprints",
            },
        },
    ),
    ("GET", "/api/spaces/dev/environments/{id}", None),  # env status
    ("GET", "/api/spaces/dev/environments/{id}", None),  # env get
    ("GET", "/api/spaces/dev/environments?filter=my", None),  # env list
    ("GET", "/api/spaces/dev/environments/{id}", None),  # env end: reads first,
    ("DELETE", "/api/spaces/dev/environments/{id}", {}),  # then ends
    ("GET", "/api/spaces/dev/environments?filter=my", None),  # env list --show-ended
]
MEMBER_SESSION: list[tuple[str, str, Any, int]] = [
    ("GET", "/api/spaces/dev/blueprints", None, 200),  # bp list: the catalog's only
    ("GET", "/api/spaces/dev/catalog/web-app?repository_name=platform-blueprints", None, 200),
    (
        "POST",
        "/api/spaces/dev/environments",
        {
            "environment_name": "web-app-Nov27-04:19:07",
            "duration": "PT600M",
            "inputs": {"hostname": "web.example.com", "image_tag": "latest", "replicas": 2},
            "source": {"blueprint_name": "web-app", "repository_name": "platform-blueprints"},
        },
        403,
    ),
]
FINAL_STATUSES = {"Active", "Active With Error", "Ended", "Ended With Error", "Terminating"}
CLI_HEADERS = {
    "Accept": "application/json",
    "Accept-Charset": "utf-8",
    "User-Agent": "Torque-CLI/1.8.1",
}
MAX_DURATION_POLICY = """package spacegate.max_duration

import rego.v1

deny contains msg if {
	input.duration_minutes > data.max_minutes
	msg := sprintf("Sandboxes may run at most %d minutes.", [data.max_minutes])
}
"""


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert, key_file = directory / "cert.pem", directory / "key.pem"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert, key_file


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def https(runtime: Runtime, tmp_path: Path) -> Iterator[httpx2.Client]:
    """The app behind uvicorn with TLS (as `spacegate serve --ssl-certfile ...`), and a
    client that trusts only its certificate (as REQUESTS_CA_BUNDLE does for the CLI)."""
    cert, key = _self_signed(tmp_path)
    port = _free_port()
    config = uvicorn.Config(
        create_app(runtime=runtime),
        host="127.0.0.1",
        port=port,
        ssl_certfile=str(cert),
        ssl_keyfile=str(key),
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    with httpx2.Client(
        base_url=f"https://127.0.0.1:{port}",
        verify=ssl.create_default_context(cafile=str(cert)),
        timeout=10,
    ) as client:
        yield client
    server.should_exit = True
    thread.join(timeout=10)


def _arrange(client: httpx2.Client, team: Team, origin_url: str) -> None:
    admin = {"Authorization": f"Bearer {team.space_admin.token}"}
    for method, path, body in (
        (
            "POST",
            "/api/spaces/dev/repositories",
            {"name": "platform-blueprints", "url": origin_url},
        ),
        ("POST", "/api/spaces/dev/repositories/platform-blueprints/sync", None),
        ("POST", "/api/spaces/dev/catalog", {"blueprint_name": "nightly-cleanup"}),
        ("POST", "/api/spaces/dev/catalog", {"blueprint_name": "web-app"}),
        (
            "POST",
            "/api/spaces/dev/policies",
            {"name": "max-duration", "rego": MAX_DURATION_POLICY, "data": {"max_minutes": 120}},
        ),
    ):
        response = client.request(method, path, json=body, headers=admin)
        assert response.is_success, response.text


def _send(client: httpx2.Client, token: str, method: str, path: str, body: Any) -> httpx2.Response:
    headers = {**CLI_HEADERS, "Authorization": f"Bearer {token}"}
    if method in ("POST", "PUT", "DELETE"):
        headers["Content-Type"] = "application/json"  # the CLI sets it, body or not
        return client.request(method, path, json=body if body is not None else {}, headers=headers)
    return client.request(method, path, headers=headers)


def _as_cli_environment(item: dict[str, Any]) -> tuple[str, str, str, str]:
    """What `Environment.json_deserialize` reads."""
    environment_id = item.get("id") or item["details"]["id"]
    definition = item["details"]["definition"]
    return (
        environment_id,
        definition["metadata"]["name"],
        definition["metadata"]["blueprint_name"],
        item["details"]["computed_status"],
    )


def _as_cli_blueprints(data: list[dict[str, Any]]) -> set[tuple[str, bool]]:
    """What `BlueprintsManager.list` reads: each blueprint's name and `enabled`."""
    assert {item["repository_name"] for item in data} == {"platform-blueprints"}
    return {
        (item.get("blueprint_name") or item.get("name"), item.get("enabled", True)) for item in data
    }


def test_the_torque_clis_requests_over_https(
    https: httpx2.Client, runtime: Runtime, team: Team, tmp_path: Path
) -> None:
    _arrange(https, team, example_origin(tmp_path / "origin").url)
    token = team.developer.token
    environment_id = ""
    for method, template, body in DEVELOPER_SESSION:
        path = template.replace("{id}", environment_id)
        response = _send(https, token, method, path, body)
        assert response.is_success, (method, path, response.text)
        if method == "DELETE":
            continue  # the CLI does not read the answer
        data = response.json()
        if path.endswith("/blueprints"):  # bp list by a tag manager: unpublished ones too
            listed = _as_cli_blueprints(data)
            assert ("nightly-cleanup", True) in listed and ("s3-bucket", False) in listed
        elif "/catalog/" in path:  # default values of the inputs it was not given
            defaults = {i["name"]: i.get("default_value") for i in data["inputs"]}
            assert defaults == {"namespace": "sandbox", "dry_run": "true"}
        elif method == "POST":
            environment_id = data["id"]
            runtime.environments.wait_idle()
        elif "?filter=my" in path:
            assert [_as_cli_environment(item)[0] for item in data] == [environment_id]
        else:
            found = _as_cli_environment(data)
            assert found[:3] == (
                environment_id,
                "nightly-cleanup-Nov27-04:18:55",
                "nightly-cleanup",
            )
            assert found[3] in FINAL_STATUSES
    runtime.environments.wait_idle()
    ended = _send(https, token, "GET", f"/api/spaces/dev/environments/{environment_id}", None)
    assert _as_cli_environment(ended.json())[3] == "Ended"

    for method, path, body, status in MEMBER_SESSION:
        response = _send(https, team.member.token, method, path, body)
        assert response.status_code == status, response.text
        if path.endswith("/blueprints"):  # the blueprints a Space Member can launch
            assert _as_cli_blueprints(response.json()) == {
                ("nightly-cleanup", True),
                ("web-app", True),
            }
        if status >= 400:  # TorqueClient.request joins "name: message" of each error
            errors = response.json()["errors"]
            assert all(error["name"] and error["message"] for error in errors)
    denied = response.json()["errors"][0]
    assert denied["name"] == "PolicyDenied"
    assert "at most 120 minutes" in denied["message"]

    # A publisher's `bp list` (the same request) still shows the unpublished ones.
    publisher = _send(https, team.space_admin.token, *DEVELOPER_SESSION[0])
    assert publisher.status_code == 200, publisher.text
    assert {("nightly-cleanup", True), ("web-app", True), ("s3-bucket", False)} <= (
        _as_cli_blueprints(publisher.json())
    )
