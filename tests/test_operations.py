"""Operations: liveness, readiness, Prometheus metrics, the access log, and the election
of the one process that runs the background workers."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from spacegate import metrics
from spacegate.app import create_app
from spacegate.db import make_session_factory
from spacegate.operations.election import Election
from spacegate.runtime import Runtime
from tests.factories import add_member, new_account, new_space, new_user


def test_healthz_answers(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_once_the_grant_poll_runs(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ready"}


def test_readyz_says_why_it_is_not_ready(runtime: Runtime) -> None:
    """Not started (no lifespan, so no poll), and a database that does not answer."""
    unreachable = create_engine("postgresql+psycopg://postgres@127.0.0.1:1/none")
    runtime.sessions = make_session_factory(unreachable)
    client = TestClient(create_app(runtime=runtime), raise_server_exceptions=False)
    response = client.get("/readyz")
    assert response.status_code == 503
    message = response.json()["errors"][0]["message"]
    assert "the database does not answer" in message
    assert "the poll of grant changes is not running" in message


def test_metrics_count_requests_and_decisions(client: TestClient, runtime: Runtime) -> None:
    admin = new_account(runtime)
    dev = new_space(runtime, admin.account_id, "dev")
    bob = new_user(runtime, admin.account_id, "bob@example.com")
    add_member(runtime, dev, bob.user_id, "Space Member")
    body = {"email": "bob@example.com", "permission": "LAUNCH_SANDBOXES", "space_name": "dev"}
    assert client.post("/api/authz/check", json=body, headers=admin.headers).json()["allowed"]
    denied = {**body, "permission": "PUBLISH_BLUEPRINTS"}
    assert not client.post("/api/authz/check", json=denied, headers=admin.headers).json()["allowed"]

    text = client.get("/metrics").text

    assert 'spacegate_http_requests_total{method="POST",route="/api/authz/check",status="200"}' in (
        text
    )
    assert 'spacegate_http_request_duration_seconds_bucket{le="0.005",method="POST"' in text
    assert 'spacegate_decisions_total{outcome="allowed"}' in text
    assert 'spacegate_decisions_total{outcome="denied"}' in text
    assert 'spacegate_worker_up{worker="grants_poll"} 1.0' in text
    assert "spacegate_outbox_depth 0.0" in text
    assert "spacegate_index_loads_total" in text
    # Paths stay templates: no space or user name becomes a label.
    assert "bob@example.com" not in text


def test_the_access_log_is_written_off_the_request_path(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="spacegate.access"):
        assert client.get("/healthz").status_code == 200
        deadline = time.monotonic() + 5
        while not any('"GET /healthz" 200' in r.getMessage() for r in caplog.records):
            assert time.monotonic() < deadline, "no access log line"
            time.sleep(0.01)
    line = next(r for r in caplog.records if "/healthz" in r.getMessage())
    assert line.threadName == "access-log"


def test_one_process_is_elected_and_another_takes_over(runtime: Runtime, tmp_path: Path) -> None:
    events: list[str] = []

    def election(name: str) -> Election:
        return Election(
            runtime.engine,
            tmp_path,
            on_elected=lambda: events.append(f"{name} elected"),
            on_deposed=lambda: events.append(f"{name} deposed"),
            retry_seconds=0.05,
        )

    first, second = election("first"), election("second")
    first.start()
    second.start()
    try:
        assert first.elected and not second.elected
        first.stop()
        deadline = time.monotonic() + 5
        while not second.elected:
            assert time.monotonic() < deadline, "the second process was never elected"
            time.sleep(0.02)
    finally:
        first.stop()
        second.stop()
    assert events == ["first elected", "first deposed", "second elected", "second deposed"]


def test_a_request_only_queues_its_metrics_and_a_scrape_folds_them(runtime: Runtime) -> None:
    """The request path appends one tuple; counting happens in the access log's turn or
    when `/metrics` is asked (here without the lifespan, so no thread folds meanwhile)."""
    client = TestClient(create_app(runtime=runtime), raise_server_exceptions=False)
    counted = metrics.REQUESTS.labels("/healthz", "GET", "200")
    before = counted._value.get()

    assert client.get("/healthz").status_code == 200
    assert counted._value.get() == before

    assert client.get("/metrics").status_code == 200
    assert counted._value.get() == before + 1
