"""foreign-key grants: invitation roles and token spaces as rows

Pending invitations kept their account role by name and their space grants as a JSON
list of {space_id, space_name, space_role}; API tokens kept the spaces they are narrowed
to as a JSON list of ids. Other domains had to rewrite those lists when a space or role
was renamed or deleted. They become columns and rows with foreign keys: a rename follows
the key, a deletion sets it NULL (invitations) or removes the row (token spaces, while the
token's `narrowed_to_spaces` flag keeps it narrowed).

The existing lists are moved into the new rows: a space id that no longer names a space
of the invitation's (token's) account is dropped (tokens) or kept as a deleted space
(invitations, whose sign-up says it was skipped); a role name is resolved as sign-up
resolved it: a built-in role by its exact name, else the account's custom role of that
name and level, else nothing (sign-up then skips it and says so).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 10:00:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The built-in roles' wire names as of this revision (a migration does not import the
# catalog, which may change after it).
BUILTIN_ACCOUNT_ROLES = ("Admin", "Member")
BUILTIN_SPACE_ROLES = ("Space Admin", "Space Developer", "Space Member")

_spaces = sa.table("spaces", sa.column("id", sa.Integer), sa.column("account_id", sa.Integer))
_custom_roles = sa.table(
    "custom_roles",
    sa.column("id", sa.Integer),
    sa.column("account_id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("name_key", sa.String),
    sa.column("level", sa.String),
)
_tokens = sa.table(
    "tokens",
    sa.column("id", sa.Integer),
    sa.column("account_id", sa.Integer),
    sa.column("space_ids", sa.JSON),
    sa.column("narrowed_to_spaces", sa.Boolean),
)
_token_spaces = sa.table(
    "token_spaces", sa.column("token_id", sa.Integer), sa.column("space_id", sa.Integer)
)
_invitations = sa.table(
    "invitations",
    sa.column("id", sa.Integer),
    sa.column("account_id", sa.Integer),
    sa.column("account_role", sa.String),
    sa.column("account_custom_role_id", sa.Integer),
    sa.column("spaces", sa.JSON),
)
_invitation_spaces = sa.table(
    "invitation_spaces",
    sa.column("id", sa.Integer),
    sa.column("invitation_id", sa.Integer),
    sa.column("space_id", sa.Integer),
    sa.column("space_name", sa.String),
    sa.column("role", sa.String),
    sa.column("custom_role_id", sa.Integer),
)


def upgrade() -> None:
    op.create_table(
        "token_spaces",
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("space_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["space_id"],
            ["spaces.id"],
            name=op.f("fk_token_spaces_space_id_spaces"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["token_id"],
            ["tokens.id"],
            name=op.f("fk_token_spaces_token_id_tokens"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_id", "space_id", name=op.f("pk_token_spaces")),
    )
    with op.batch_alter_table("token_spaces", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_token_spaces_space_id"), ["space_id"], unique=False)

    op.create_table(
        "invitation_spaces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("space_id", sa.Integer(), nullable=True),
        sa.Column("space_name", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=True),
        sa.Column("custom_role_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "role IS NULL OR custom_role_id IS NULL",
            name=op.f("ck_invitation_spaces_one_space_role"),
        ),
        sa.ForeignKeyConstraint(
            ["custom_role_id"],
            ["custom_roles.id"],
            name=op.f("fk_invitation_spaces_custom_role_id_custom_roles"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitations.id"],
            name=op.f("fk_invitation_spaces_invitation_id_invitations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["space_id"],
            ["spaces.id"],
            name=op.f("fk_invitation_spaces_space_id_spaces"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation_spaces")),
    )
    with op.batch_alter_table("invitation_spaces", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invitation_spaces_custom_role_id"), ["custom_role_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_invitation_spaces_invitation_id"), ["invitation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_invitation_spaces_space_id"), ["space_id"], unique=False
        )

    with op.batch_alter_table("tokens", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("narrowed_to_spaces", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_custom_role_id", sa.Integer(), nullable=True))
        batch_op.alter_column("account_role", existing_type=sa.String(length=64), nullable=True)

    connection = op.get_bind()
    _move_token_spaces(connection)
    _move_invitation_roles(connection)

    with op.batch_alter_table("tokens", schema=None) as batch_op:
        batch_op.drop_column("space_ids")
        batch_op.alter_column("narrowed_to_spaces", existing_type=sa.Boolean(), server_default=None)
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_column("spaces")
        batch_op.create_index(
            batch_op.f("ix_invitations_account_custom_role_id"),
            ["account_custom_role_id"],
            unique=False,
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_invitations_account_custom_role_id_custom_roles"),
            "custom_roles",
            ["account_custom_role_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_check_constraint(
            "one_account_role", "account_role IS NULL OR account_custom_role_id IS NULL"
        )


def _space_ids_by_account(connection: sa.Connection) -> dict[int, set[int]]:
    found: dict[int, set[int]] = {}
    for space_id, account_id in connection.execute(sa.select(_spaces.c.id, _spaces.c.account_id)):
        found.setdefault(account_id, set()).add(space_id)
    return found


def _move_token_spaces(connection: sa.Connection) -> None:
    spaces = _space_ids_by_account(connection)
    narrowed = connection.execute(
        sa.select(_tokens.c.id, _tokens.c.account_id, _tokens.c.space_ids).where(
            _tokens.c.space_ids.is_not(None)
        )
    ).all()
    rows: list[dict[str, int]] = []
    for token_id, account_id, space_ids in narrowed:
        if space_ids is None:  # a JSON null
            continue
        connection.execute(
            sa.update(_tokens).where(_tokens.c.id == token_id).values(narrowed_to_spaces=True)
        )
        rows.extend(
            {"token_id": token_id, "space_id": space_id}
            for space_id in sorted(set(space_ids))
            if space_id in spaces.get(account_id, set())
        )
    if rows:
        connection.execute(sa.insert(_token_spaces), rows)


def _custom_roles_by_name(connection: sa.Connection) -> dict[tuple[int, str, str], int]:
    """(account id, lowercased name, level) -> custom role id."""
    rows = connection.execute(
        sa.select(
            _custom_roles.c.account_id,
            _custom_roles.c.name_key,
            _custom_roles.c.level,
            _custom_roles.c.id,
        )
    )
    return {(account_id, name_key, level): role_id for account_id, name_key, level, role_id in rows}


def _role(
    customs: dict[tuple[int, str, str], int],
    account_id: int,
    name: Any,
    level: str,
    builtins: tuple[str, ...],
) -> tuple[str | None, int | None]:
    """(built-in name, custom role id) of a role named `name`, or (None, None)."""
    if not isinstance(name, str):
        return None, None
    if name in builtins:
        return name, None
    return None, customs.get((account_id, name.strip().lower(), level))


def _move_invitation_roles(connection: sa.Connection) -> None:
    spaces = _space_ids_by_account(connection)
    customs = _custom_roles_by_name(connection)
    invitations = connection.execute(
        sa.select(
            _invitations.c.id,
            _invitations.c.account_id,
            _invitations.c.account_role,
            _invitations.c.spaces,
        )
    ).all()
    rows: list[dict[str, Any]] = []
    for invitation_id, account_id, account_role, grants in invitations:
        builtin, custom = _role(customs, account_id, account_role, "account", BUILTIN_ACCOUNT_ROLES)
        connection.execute(
            sa.update(_invitations)
            .where(_invitations.c.id == invitation_id)
            .values(account_role=builtin, account_custom_role_id=custom)
        )
        for grant in grants or []:
            space_id = grant.get("space_id")
            role, custom_role_id = _role(
                customs, account_id, grant.get("space_role"), "space", BUILTIN_SPACE_ROLES
            )
            rows.append(
                {
                    "invitation_id": invitation_id,
                    "space_id": space_id if space_id in spaces.get(account_id, set()) else None,
                    "space_name": str(grant.get("space_name") or "")[:64],
                    "role": role,
                    "custom_role_id": custom_role_id,
                }
            )
    if rows:
        connection.execute(sa.insert(_invitation_spaces), rows)


def downgrade() -> None:
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("spaces", sa.JSON(), nullable=True))
    with op.batch_alter_table("tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("space_ids", sa.JSON(), nullable=True))

    connection = op.get_bind()
    _restore_json(connection)

    with op.batch_alter_table("tokens", schema=None) as batch_op:
        batch_op.drop_column("narrowed_to_spaces")
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_invitations_one_account_role"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_invitations_account_custom_role_id_custom_roles"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_invitations_account_custom_role_id"))
        batch_op.drop_column("account_custom_role_id")
        batch_op.alter_column("spaces", existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column("account_role", existing_type=sa.String(length=64), nullable=False)
    op.drop_table("invitation_spaces")
    op.drop_table("token_spaces")


def _restore_json(connection: sa.Connection) -> None:
    """Rows back into the JSON lists, roles back to names (a deleted one: Member)."""
    names = dict(connection.execute(sa.select(_custom_roles.c.id, _custom_roles.c.name)).all())
    token_spaces: dict[int, list[int]] = {}
    for token_id, space_id in connection.execute(
        sa.select(_token_spaces.c.token_id, _token_spaces.c.space_id)
    ):
        token_spaces.setdefault(token_id, []).append(space_id)
    for (token_id,) in connection.execute(
        sa.select(_tokens.c.id).where(_tokens.c.narrowed_to_spaces.is_(True))
    ).all():
        connection.execute(
            sa.update(_tokens)
            .where(_tokens.c.id == token_id)
            .values(space_ids=sorted(token_spaces.get(token_id, [])))
        )
    grants: dict[int, list[dict[str, Any]]] = {}
    for invitation_id, space_id, space_name, role, custom_role_id in connection.execute(
        sa.select(
            _invitation_spaces.c.invitation_id,
            _invitation_spaces.c.space_id,
            _invitation_spaces.c.space_name,
            _invitation_spaces.c.role,
            _invitation_spaces.c.custom_role_id,
        ).order_by(_invitation_spaces.c.id)
    ):
        role_name = role or names.get(custom_role_id)
        if role_name is None:  # a deleted custom role: the grant was dropped
            continue
        grants.setdefault(invitation_id, []).append(
            {"space_id": space_id, "space_name": space_name, "space_role": role_name}
        )
    for invitation_id, account_role, custom_id in connection.execute(
        sa.select(
            _invitations.c.id, _invitations.c.account_role, _invitations.c.account_custom_role_id
        )
    ).all():
        connection.execute(
            sa.update(_invitations)
            .where(_invitations.c.id == invitation_id)
            .values(
                account_role=account_role or names.get(custom_id) or "Member",
                account_custom_role_id=None,
                spaces=grants.get(invitation_id, []),
            )
        )
