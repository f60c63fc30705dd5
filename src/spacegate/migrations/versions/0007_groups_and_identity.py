"""groups, identity providers, SCIM, and the source of audit events

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-03 08:18:44.037634
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import spacegate.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scim_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.Column("created_at", spacegate.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", spacegate.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_scim_tokens_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scim_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_scim_tokens_token_hash")),
    )
    with op.batch_alter_table("scim_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scim_tokens_account_id"), ["account_id"], unique=False)

    op.create_table(
        "sso_used_values",
        sa.Column("value_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", spacegate.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_sso_used_values_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("value_hash", name=op.f("pk_sso_used_values")),
    )
    with op.batch_alter_table("sso_used_values", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sso_used_values_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index("ix_sso_used_values_expires_at", ["expires_at"], unique=False)

    op.create_table(
        "groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("name_key", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("idp_identifier", sa.String(length=256), nullable=True),
        sa.Column("account_role", sa.String(length=64), nullable=True),
        sa.Column("account_custom_role_id", sa.Integer(), nullable=True),
        sa.Column("created_at", spacegate.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", spacegate.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "account_role IS NULL OR account_custom_role_id IS NULL",
            name=op.f("ck_groups_one_account_role"),
        ),
        sa.ForeignKeyConstraint(
            ["account_custom_role_id"],
            ["custom_roles.id"],
            name=op.f("fk_groups_account_custom_role_id_custom_roles"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_groups_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_groups")),
        sa.UniqueConstraint(
            "account_id", "idp_identifier", name=op.f("uq_groups_account_id_idp_identifier")
        ),
        sa.UniqueConstraint("account_id", "name_key", name=op.f("uq_groups_account_id_name_key")),
    )
    with op.batch_alter_table("groups", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_groups_account_custom_role_id"), ["account_custom_role_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_groups_account_id"), ["account_id"], unique=False)

    op.create_table(
        "group_members",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", spacegate.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_group_members_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_group_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "user_id", name=op.f("pk_group_members")),
    )
    with op.batch_alter_table("group_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_group_members_user_id"), ["user_id"], unique=False)

    op.create_table(
        "group_space_roles",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("space_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=True),
        sa.Column("custom_role_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(role IS NULL) <> (custom_role_id IS NULL)",
            name=op.f("ck_group_space_roles_one_space_role"),
        ),
        sa.ForeignKeyConstraint(
            ["custom_role_id"],
            ["custom_roles.id"],
            name=op.f("fk_group_space_roles_custom_role_id_custom_roles"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_group_space_roles_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["space_id"],
            ["spaces.id"],
            name=op.f("fk_group_space_roles_space_id_spaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "space_id", name=op.f("pk_group_space_roles")),
    )
    with op.batch_alter_table("group_space_roles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_group_space_roles_custom_role_id"), ["custom_role_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_group_space_roles_space_id"), ["space_id"], unique=False
        )

    op.create_table(
        "identity_providers",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("protocol", sa.String(length=8), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("secret_sealed", sa.Text(), nullable=True),
        sa.Column("saml_metadata", sa.Text(), nullable=True),
        sa.Column("allowed_domains", sa.JSON(), nullable=False),
        sa.Column("jit", sa.Boolean(), nullable=False),
        sa.Column("enforced", sa.Boolean(), nullable=False),
        sa.Column("break_glass_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", spacegate.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", spacegate.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_identity_providers_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["break_glass_user_id"],
            ["users.id"],
            name=op.f("fk_identity_providers_break_glass_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_identity_providers")),
    )
    op.create_table(
        "scim_groups",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=256), nullable=True),
        sa.Column("updated_at", spacegate.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_scim_groups_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_scim_groups_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", name=op.f("pk_scim_groups")),
    )
    with op.batch_alter_table("scim_groups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scim_groups_account_id"), ["account_id"], unique=False)

    op.create_table(
        "scim_users",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=256), nullable=True),
        sa.Column("display_name", sa.String(length=256), nullable=True),
        sa.Column("emails", sa.JSON(), nullable=False),
        sa.Column("active_given", sa.Boolean(), nullable=False),
        sa.Column("updated_at", spacegate.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_scim_users_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_scim_users_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_scim_users")),
    )
    with op.batch_alter_table("scim_users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scim_users_account_id"), ["account_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_scim_users_external_id"), ["external_id"], unique=False
        )

    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source", sa.String(length=16), server_default="person", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_column("source")

    with op.batch_alter_table("scim_users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scim_users_external_id"))
        batch_op.drop_index(batch_op.f("ix_scim_users_account_id"))

    op.drop_table("scim_users")
    with op.batch_alter_table("scim_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scim_groups_account_id"))

    op.drop_table("scim_groups")
    op.drop_table("identity_providers")
    with op.batch_alter_table("group_space_roles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_space_roles_space_id"))
        batch_op.drop_index(batch_op.f("ix_group_space_roles_custom_role_id"))

    op.drop_table("group_space_roles")
    with op.batch_alter_table("group_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_members_user_id"))

    op.drop_table("group_members")
    with op.batch_alter_table("groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_groups_account_id"))
        batch_op.drop_index(batch_op.f("ix_groups_account_custom_role_id"))

    op.drop_table("groups")
    with op.batch_alter_table("sso_used_values", schema=None) as batch_op:
        batch_op.drop_index("ix_sso_used_values_expires_at")
        batch_op.drop_index(batch_op.f("ix_sso_used_values_account_id"))

    op.drop_table("sso_used_values")
    with op.batch_alter_table("scim_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scim_tokens_account_id"))

    op.drop_table("scim_tokens")
