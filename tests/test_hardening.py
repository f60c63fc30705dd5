"""Request bodies are limited and every response carries the security headers
(findings 6 and 12 of the security review); the API docs are served from the package."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi.testclient import TestClient

from spacegate.app import create_app
from spacegate.runtime import Runtime
from tests.api_helpers import error_of
from tests.factories import PASSWORD, new_account

MIB = 1024 * 1024


@pytest.fixture
def served(runtime: Runtime) -> Iterator[int]:
    """The app under uvicorn on a loopback port (a real HTTP server: what a client's
    socket sees)."""
    config = uvicorn.Config(
        create_app(runtime=runtime), host="127.0.0.1", port=0, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        threading.Event().wait(0.02)
    port: int = server.servers[0].sockets[0].getsockname()[1]
    yield port
    server.should_exit = True
    thread.join(10)


def test_a_huge_login_body_is_refused_before_it_is_read(runtime: Runtime, served: int) -> None:
    """The head announces 200 MB; the server answers 413 having read none of it, and the
    connection is closed rather than drained."""
    new_account(runtime, "acme", "admin@acme.example")
    with socket.create_connection(("127.0.0.1", served), timeout=10) as connection:
        connection.sendall(
            b"POST /api/accounts/acme/login HTTP/1.1\r\nHost: test\r\n"
            b"Content-Type: application/json\r\nContent-Length: 209715200\r\n\r\n"
            b'{"email": "admin@acme.example", "password": "'
        )
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), head
    assert b'"name": "PayloadTooLarge"' in body and b"bytes at most" in body


def test_a_chunked_body_is_counted_as_it_comes(client: TestClient, runtime: Runtime) -> None:
    new_account(runtime, "acme", "admin@acme.example")

    def body() -> Iterator[bytes]:
        yield b'{"email": "admin@acme.example", "password": "'
        for _ in range(3):
            yield b"x" * MIB
        yield b'"}'

    answer = client.post(
        "/api/accounts/acme/login",
        content=body(),
        headers={"Content-Type": "application/json"},
    )
    assert "bytes at most" in error_of(answer, 413, "PayloadTooLarge")["message"]
    normal = client.post(
        "/api/accounts/acme/login", json={"email": "admin@acme.example", "password": PASSWORD}
    )
    assert normal.status_code == 200, normal.text


def test_policies_take_larger_bodies(client: TestClient, runtime: Runtime) -> None:
    """A policy's data may pass the default limit (it has its own, larger one); its own
    rule (256 KiB of data) then answers, not the body limit."""
    admin = new_account(runtime, "acme", "admin@acme.example")
    client.post("/api/spaces", json={"name": "dev"}, headers=admin.headers)
    data = {"blob": "x" * (MIB + 1000)}
    answer = client.post(
        "/api/spaces/dev/policies",
        json={"name": "big", "rego": "package p\ndeny contains 1 if false\n", "data": data},
        headers=admin.headers,
    )
    assert "data" in error_of(answer, 422)["message"]


EXPECTED = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


@pytest.mark.parametrize(
    "path",
    ["/healthz", "/login", "/api/openapi.json", "/api/no-such-route", "/static/spacegate.js"],
)
def test_every_response_carries_the_security_headers(client: TestClient, path: str) -> None:
    response = client.get(path)
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (path, response.headers)
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy.split("style-src")[0]
    assert "frame-ancestors 'none'" in policy


def test_the_api_docs_come_from_the_package(client: TestClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower() and "http" not in page.text.split("<body>")[1]
    assert not re.search(r"<script>[^<]", page.text), "no inline script"
    for asset in re.findall(r'(?:src|href)="(/[^"]+)"', page.text):
        loaded = client.get(asset)
        assert loaded.status_code == 200 and loaded.content, asset
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy
