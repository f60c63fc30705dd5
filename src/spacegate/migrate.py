"""Bring a database to the newest schema. The server and every CLI command call this
on start, so an installation never runs against an old schema."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate up to `revision` (the newest by default)."""
    with _migrating(engine) as (config, connection):
        command.upgrade(config, revision)
        connection.commit()


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate down to `revision` (for operators undoing an upgrade, and for tests)."""
    with _migrating(engine) as (config, connection):
        command.downgrade(config, revision)
        connection.commit()


@contextmanager
def _migrating(engine: Engine) -> Iterator[tuple[Config, Connection]]:
    config = alembic_config(engine)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _sqlite_foreign_keys(connection, on=False)
        config.attributes["connection"] = connection
        try:
            yield config, connection
        finally:
            if sqlite:
                connection.rollback()  # nothing open: the switch works outside a transaction
                _sqlite_foreign_keys(connection, on=True)


def _sqlite_foreign_keys(connection: Connection, *, on: bool) -> None:
    """SQLite changes a table's shape by copying it into a new table and dropping the
    old one, and dropping a table deletes its rows first: with foreign keys enforced,
    that delete would cascade into (or nullify) the rows of every table referring to it.
    The switch only takes effect outside a transaction, so it is flipped on the DBAPI
    connection before SQLAlchemy begins one."""
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
