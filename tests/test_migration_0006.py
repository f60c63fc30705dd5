"""Revision 0006 moves what pending invitations and narrowed API tokens kept as JSON
(role names, space ids) into columns and rows with foreign keys, on SQLite and
PostgreSQL; nothing else is lost on the way, and a downgrade brings the JSON back."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, create_engine

from spacegate.db import make_engine
from spacegate.migrate import downgrade, upgrade
from tests.conftest import POSTGRES_URL

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Engine]:
    """An empty database of the suite's kind: a SQLite file, or a schema of its own in
    the PostgreSQL test database (dropped afterwards)."""
    if not POSTGRES_URL:
        engine = make_engine(f"sqlite:///{tmp_path / 'scratch.db'}")
        yield engine
        engine.dispose()
        return
    schema = f"scratch_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    engine = create_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def _insert(connection: sa.Connection, table: str, **values: Any) -> int:
    reflected = sa.Table(table, sa.MetaData(), autoload_with=connection)
    inserted = connection.execute(sa.insert(reflected).values(**values).returning(reflected.c.id))
    return int(inserted.scalar_one())


def _rows(connection: sa.Connection, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in connection.exec_driver_sql(sql)]


def _arrange_at_0005(engine: Engine) -> dict[str, int]:
    """One account with two spaces, custom roles of both levels, two pending invitations
    (one naming a space deleted since), their emails in the outbox, and three tokens."""
    ids: dict[str, int] = {}
    with engine.begin() as c:
        account = _insert(
            c, "accounts", name="acme", name_key="acme", created_at=NOW, authz_version=0
        )
        user = _insert(
            c,
            "users",
            account_id=account,
            email="admin@example.com",
            email_key="admin@example.com",
            first_name="",
            last_name="",
            account_role="Admin",
            status="active",
            created_at=NOW,
        )
        for name in ("dev", "prod"):
            ids[name] = _insert(
                c,
                "spaces",
                account_id=account,
                name=name,
                name_key=name,
                color="blue",
                icon="space",
                created_at=NOW,
            )
        for name, level in (("Weak", "account"), ("Watchers", "space")):
            ids[name] = _insert(
                c,
                "custom_roles",
                account_id=account,
                name=name,
                name_key=name.lower(),
                description="",
                level=level,
                permissions=[],
                created_at=NOW,
                updated_at=NOW,
            )

        def invitation(email: str, account_role: str, spaces: list[dict[str, Any]]) -> int:
            return _insert(
                c,
                "invitations",
                account_id=account,
                email=email,
                email_key=email,
                account_role=account_role,
                spaces=spaces,
                secret_hash=uuid.uuid4().hex,
                state="pending",
                invited_by="admin@example.com",
                created_at=NOW,
                sent_at=NOW,
                expires_at=NOW + timedelta(days=7),
            )

        ids["carol"] = invitation(
            "carol@example.com",
            "Weak",
            [
                {"space_id": ids["dev"], "space_name": "dev", "space_role": "Space Admin"},
                {"space_id": ids["prod"], "space_name": "prod", "space_role": "Watchers"},
                {"space_id": None, "space_name": "gone", "space_role": "Space Member"},
            ],
        )
        ids["dave"] = invitation("dave@example.com", "Admin", [])
        ids["mail"] = _insert(
            c,
            "mail_outbox",
            account_id=account,
            invitation_id=ids["carol"],
            message_id="<1@example.com>",
            recipient="carol@example.com",
            subject="Welcome",
            status="pending",
            attempts=0,
            next_attempt_at=NOW,
            created_at=NOW,
        )

        def token(name: str, space_ids: list[int] | None) -> int:
            return _insert(
                c,
                "tokens",
                account_id=account,
                user_id=user,
                kind="api",
                name=name,
                token_hash=uuid.uuid4().hex,
                created_at=NOW,
                space_ids=space_ids,
            )

        ids["narrowed"] = token("narrowed", [ids["prod"], ids["dev"], 999_999])
        ids["to-nothing"] = token("to-nothing", [999_999])
        ids["whole"] = token("whole", None)
    return ids


def test_the_json_lists_become_rows_with_foreign_keys_and_come_back_on_downgrade(
    scratch: Engine,
) -> None:
    upgrade(scratch, "0005")
    ids = _arrange_at_0005(scratch)

    upgrade(scratch)

    with scratch.connect() as c:
        assert _rows(
            c,
            "SELECT email, account_role, account_custom_role_id FROM invitations ORDER BY email",
        ) == [("carol@example.com", None, ids["Weak"]), ("dave@example.com", "Admin", None)]
        assert _rows(
            c,
            "SELECT invitation_id, space_id, space_name, role, custom_role_id "
            "FROM invitation_spaces ORDER BY id",
        ) == [
            (ids["carol"], ids["dev"], "dev", "Space Admin", None),
            (ids["carol"], ids["prod"], "prod", None, ids["Watchers"]),
            (ids["carol"], None, "gone", "Space Member", None),
        ]
        assert _rows(c, "SELECT name, narrowed_to_spaces FROM tokens ORDER BY name") == [
            ("narrowed", True),
            ("to-nothing", True),
            ("whole", False),
        ]
        assert _rows(c, "SELECT token_id, space_id FROM token_spaces ORDER BY space_id") == [
            (ids["narrowed"], ids["dev"]),
            (ids["narrowed"], ids["prod"]),
        ]
        # Rebuilding the tables on SQLite cascaded nothing away.
        assert _rows(c, "SELECT id, invitation_id FROM mail_outbox") == [
            (ids["mail"], ids["carol"])
        ]

    downgrade(scratch, "0005")

    with scratch.connect() as c:
        invitations = sa.Table("invitations", sa.MetaData(), autoload_with=c)
        restored = {
            row.email: (row.account_role, row.spaces) for row in c.execute(sa.select(invitations))
        }
        tokens = sa.Table("tokens", sa.MetaData(), autoload_with=c)
        narrowing = {row.name: row.space_ids for row in c.execute(sa.select(tokens))}
    assert restored == {
        "carol@example.com": (
            "Weak",
            [
                {"space_id": ids["dev"], "space_name": "dev", "space_role": "Space Admin"},
                {"space_id": ids["prod"], "space_name": "prod", "space_role": "Watchers"},
                {"space_id": None, "space_name": "gone", "space_role": "Space Member"},
            ],
        ),
        "dave@example.com": ("Admin", []),
    }
    assert narrowing == {
        "narrowed": sorted([ids["dev"], ids["prod"]]),
        "to-nothing": [],
        "whole": None,
    }
