"""The data directory, its SQLite database (and WAL), the installation secret and the
git cache are private to spacegate's user (finding 14 of the security review)."""

from __future__ import annotations

import stat
from pathlib import Path

from spacegate.blueprints import git
from spacegate.outbound import AddressPolicy
from spacegate.runtime import Runtime
from spacegate.settings import Settings
from tests.blueprints.gitrepo import example_origin


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_data_directory_is_created_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    settings = Settings(data_dir=data_dir, secret_key=None)
    runtime = Runtime.start(settings)
    try:
        with runtime.engine.begin() as connection:  # a write: the WAL exists now
            connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS probe (x INTEGER)")
            connection.exec_driver_sql("INSERT INTO probe VALUES (1)")
        assert _mode(data_dir) == 0o700
        assert _mode(data_dir / "secret_key") == 0o600
        for name in ("spacegate.db", "spacegate.db-wal", "spacegate.db-shm"):
            assert (data_dir / name).exists(), name
            assert _mode(data_dir / name) == 0o600, name

        origin = example_origin(tmp_path / "origin")
        cache = git.cache_path(data_dir, 1, origin.url)
        git.read_branch(
            git.locate(origin.url),
            "main",
            "blueprints",
            cache,
            None,
            git.Fetching(AddressPolicy(), 10),
        )
        assert _mode(cache.parent) == 0o700
        for path in cache.rglob("*"):
            assert _mode(path) == (0o700 if path.is_dir() else 0o600), path
    finally:
        runtime.close()
