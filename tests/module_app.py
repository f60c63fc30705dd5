"""A runtime shared by one test module, for modules whose tests only read (or add what
no other test there looks at), where a fresh database per case would cost more than the
cases themselves."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from spacegate.app import create_app
from spacegate.runtime import Runtime
from spacegate.settings import Settings
from tests.conftest import _empty_tables


@contextmanager
def module_runtime(engine: Engine, database_url: str, data_dir: Path) -> Iterator[Runtime]:
    """A runtime over the emptied test database, with cheap hashing and no mail worker."""
    _empty_tables(engine)
    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        secret_key="test-secret",
        argon2_time_cost=1,
        argon2_memory_cost_kib=8,
        mail_worker=False,
        worker_election=False,
        local_repositories=True,  # the tests' origins are git repositories on disk
    )
    runtime = Runtime.start(settings, migrate=False)
    try:
        yield runtime
    finally:
        runtime.close()


def app_client(runtime: Runtime) -> TestClient:
    """A client of the app on `runtime`; use it as a context manager."""
    return TestClient(create_app(runtime=runtime), raise_server_exceptions=False)
