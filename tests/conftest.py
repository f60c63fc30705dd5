"""Test set-up: one migrated database per run (SQLite by default, PostgreSQL when
SPACEGATE_TEST_DATABASE_URL is set), emptied before every test; a fresh runtime and
app per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, inspect, make_url, text
from sqlalchemy.orm import Session

from spacegate.accounts.service import SetupGate
from spacegate.app import create_app
from spacegate.auth.ratelimit import LoginLimiter
from spacegate.crypto import SecretBox
from spacegate.db import Base, make_engine, make_session_factory, transaction
from spacegate.grants.cache import IndexCache
from spacegate.mail.outbox import Deliverer
from spacegate.migrate import upgrade
from spacegate.runtime import Runtime
from spacegate.settings import Settings
from spacegate.users.passwords import Passwords


def _database_of_this_worker(url: str | None) -> str | None:
    """Under pytest-xdist every worker empties and migrates a database of its own: the
    given database's name with the worker's (`test` becomes `test_gw0`, `test_gw1`...)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


POSTGRES_URL = _database_of_this_worker(os.environ.get("SPACEGATE_TEST_DATABASE_URL"))

# Cheap hashing: the tests exercise the logic, not argon2's cost.
_PASSWORDS = Passwords(time_cost=1, memory_cost_kib=8)


def pytest_configure(config: pytest.Config) -> None:
    """A worker's PostgreSQL database is created, next to the given one, when missing."""
    given = os.environ.get("SPACEGATE_TEST_DATABASE_URL")
    if not given or given == POSTGRES_URL:
        return
    assert POSTGRES_URL is not None
    name = make_url(POSTGRES_URL).database
    server = create_engine(given, isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            exists = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        server.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if POSTGRES_URL:
        return POSTGRES_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'spacegate.db'}"


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    with engine.begin() as connection:  # start from nothing: the migrations build it all
        Base.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade(engine)
    yield engine
    engine.dispose()


def _empty_tables(engine: Engine) -> None:
    """Empty every table, children first. DELETE rather than TRUNCATE: on PostgreSQL a
    TRUNCATE costs ~0.3 s (new files per table), a DELETE of a test's few rows a few ms.
    Sequences are not reset; no test depends on ids."""
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="test-secret",
        argon2_time_cost=1,
        argon2_memory_cost_kib=8,
        authz_poll_seconds=0.05,
        mail_worker=False,  # tests deliver mail explicitly, one pass at a time
        worker_election=False,  # each test's runtime runs its own workers, as one process
        mail_retry_base_seconds=0,
        local_repositories=True,  # the tests' origins are git repositories on disk
    )


@pytest.fixture
def runtime(engine: Engine, settings: Settings) -> Iterator[Runtime]:
    _empty_tables(engine)
    sessions = make_session_factory(engine)
    box = SecretBox(settings.resolved_secret_key())
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessions=sessions,
        authz=IndexCache(sessions, poll_seconds=settings.authz_poll_seconds),
        passwords=_PASSWORDS,
        login_limiter=LoginLimiter(
            per_email=settings.login_max_failures_per_email,
            per_client=settings.login_max_failures_per_client,
            per_email_all_clients=settings.login_max_failures_per_email_all_clients,
            window_seconds=settings.login_failure_window_seconds,
        ),
        setup_gate=SetupGate(),
        box=box,
        mail=Deliverer(sessions, settings, box),
    )
    yield runtime
    runtime.policies.close()
    runtime.callers.stop()
    runtime.mail.stop()
    runtime.authz.stop()


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=runtime), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def db(runtime: Runtime) -> Iterator[Session]:
    """A committed unit of work for arranging data (like a CLI command's)."""
    with transaction(runtime.sessions) as session:
        yield session


def table_names(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())
