"""tags and policies

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 04:08:15.583345
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import spacegate.db

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tag_definitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("name_key", sa.String(length=128), nullable=False),
        sa.Column("value", sa.String(length=256), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("possible_values", sa.JSON(), nullable=False),
        sa.Column("created_at", spacegate.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", spacegate.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_tag_definitions_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tag_definitions")),
        sa.UniqueConstraint(
            "account_id", "name_key", name=op.f("uq_tag_definitions_account_id_name_key")
        ),
    )
    with op.batch_alter_table("tag_definitions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tag_definitions_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "tag_settings",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("max_tags", sa.Integer(), nullable=False),
        sa.Column("updated_at", spacegate.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_tag_settings_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_tag_settings")),
    )
    op.create_table(
        "space_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("space_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("name_key", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("rego", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("package", sa.String(length=255), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", spacegate.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", spacegate.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=254), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_space_policies_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["space_id"],
            ["spaces.id"],
            name=op.f("fk_space_policies_space_id_spaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_space_policies")),
        sa.UniqueConstraint(
            "space_id", "name_key", name=op.f("uq_space_policies_space_id_name_key")
        ),
    )
    with op.batch_alter_table("space_policies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_space_policies_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "space_tag_values",
        sa.Column("space_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(length=256), nullable=False),
        sa.Column("updated_at", spacegate.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["space_id"],
            ["spaces.id"],
            name=op.f("fk_space_tag_values_space_id_spaces"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"],
            ["tag_definitions.id"],
            name=op.f("fk_space_tag_values_tag_id_tag_definitions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("space_id", "tag_id", name=op.f("pk_space_tag_values")),
    )
    with op.batch_alter_table("space_tag_values", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_space_tag_values_tag_id"), ["tag_id"], unique=False)

    op.create_table(
        "blueprint_tag_values",
        sa.Column("blueprint_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(length=256), nullable=False),
        sa.Column("updated_at", spacegate.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["blueprint_id"],
            ["blueprints.id"],
            name=op.f("fk_blueprint_tag_values_blueprint_id_blueprints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"],
            ["tag_definitions.id"],
            name=op.f("fk_blueprint_tag_values_tag_id_tag_definitions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("blueprint_id", "tag_id", name=op.f("pk_blueprint_tag_values")),
    )
    with op.batch_alter_table("blueprint_tag_values", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_blueprint_tag_values_tag_id"), ["tag_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("blueprint_tag_values", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_blueprint_tag_values_tag_id"))

    op.drop_table("blueprint_tag_values")
    with op.batch_alter_table("space_tag_values", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_space_tag_values_tag_id"))

    op.drop_table("space_tag_values")
    with op.batch_alter_table("space_policies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_space_policies_account_id"))

    op.drop_table("space_policies")
    op.drop_table("tag_settings")
    with op.batch_alter_table("tag_definitions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tag_definitions_account_id"))

    op.drop_table("tag_definitions")
