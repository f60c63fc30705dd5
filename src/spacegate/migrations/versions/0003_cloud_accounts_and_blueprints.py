"""cloud accounts and blueprints

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 03:36:49.673269
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import spacegate.db

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cloud_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("name_key", sa.String(length=64), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("credentials_sealed", sa.Text(), nullable=False),
        sa.Column("credentials_kind", sa.String(length=32), nullable=False),
        sa.Column(
            "credentials_changed_at", spacegate.db.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("created_at", spacegate.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", spacegate.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_cloud_accounts_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cloud_accounts")),
        sa.UniqueConstraint(
            "account_id", "name_key", name=op.f("uq_cloud_accounts_account_id_name_key")
        ),
    )
    with op.batch_alter_table("cloud_accounts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cloud_accounts_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "compute_services",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("name_key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("api_server", sa.String(length=500), nullable=False),
        sa.Column("namespace", sa.String(length=63), nullable=False),
        sa.Column("token_sealed", sa.Text(), nullable=False),
        sa.Column("token_changed_at", spacegate.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", spacegate.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", spacegate.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_compute_services_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compute_services")),
        sa.UniqueConstraint(
            "account_id", "name_key", name=op.f("uq_compute_services_account_id_name_key")
        ),
    )
    with op.batch_alter_table("compute_services", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_compute_services_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "blueprint_repositories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("space_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("name_key", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("branch", sa.String(length=255), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("token_sealed", sa.Text(), nullable=True),
        sa.Column("created_at", spacegate.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", spacegate.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_sync_at", spacegate.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_sync_status", sa.String(length=16), nullable=True),
        sa.Column("last_sync_message", sa.Text(), nullable=True),
        sa.Column("synced_commit", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_blueprint_repositories_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["space_id"],
            ["spaces.id"],
            name=op.f("fk_blueprint_repositories_space_id_spaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blueprint_repositories")),
        sa.UniqueConstraint(
            "space_id", "name_key", name=op.f("uq_blueprint_repositories_space_id_name_key")
        ),
    )
    with op.batch_alter_table("blueprint_repositories", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_blueprint_repositories_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "cloud_account_spaces",
        sa.Column("cloud_account_id", sa.Integer(), nullable=False),
        sa.Column("space_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cloud_account_id"],
            ["cloud_accounts.id"],
            name=op.f("fk_cloud_account_spaces_cloud_account_id_cloud_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["space_id"],
            ["spaces.id"],
            name=op.f("fk_cloud_account_spaces_space_id_spaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "cloud_account_id", "space_id", name=op.f("pk_cloud_account_spaces")
        ),
    )
    with op.batch_alter_table("cloud_account_spaces", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cloud_account_spaces_space_id"), ["space_id"], unique=False
        )

    op.create_table(
        "compute_service_spaces",
        sa.Column("compute_service_id", sa.Integer(), nullable=False),
        sa.Column("space_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compute_service_id"],
            ["compute_services.id"],
            name=op.f("fk_compute_service_spaces_compute_service_id_compute_services"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["space_id"],
            ["spaces.id"],
            name=op.f("fk_compute_service_spaces_space_id_spaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "compute_service_id", "space_id", name=op.f("pk_compute_service_spaces")
        ),
    )
    with op.batch_alter_table("compute_service_spaces", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_compute_service_spaces_space_id"), ["space_id"], unique=False
        )

    op.create_table(
        "blueprints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("repository_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("name_key", sa.String(length=255), nullable=False),
        sa.Column("file_path", sa.String(length=1000), nullable=False),
        sa.Column("blob_sha", sa.String(length=64), nullable=False),
        sa.Column("commit", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("outputs", sa.JSON(), nullable=False),
        sa.Column("grains", sa.JSON(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("published_at", spacegate.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.String(length=254), nullable=True),
        sa.Column("created_at", spacegate.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", spacegate.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["repository_id"],
            ["blueprint_repositories.id"],
            name=op.f("fk_blueprints_repository_id_blueprint_repositories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blueprints")),
        sa.UniqueConstraint(
            "repository_id", "name_key", name=op.f("uq_blueprints_repository_id_name_key")
        ),
    )
    with op.batch_alter_table("blueprints", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_blueprints_repository_id"), ["repository_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("blueprints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_blueprints_repository_id"))

    op.drop_table("blueprints")
    with op.batch_alter_table("compute_service_spaces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_compute_service_spaces_space_id"))

    op.drop_table("compute_service_spaces")
    with op.batch_alter_table("cloud_account_spaces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cloud_account_spaces_space_id"))

    op.drop_table("cloud_account_spaces")
    with op.batch_alter_table("blueprint_repositories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_blueprint_repositories_account_id"))

    op.drop_table("blueprint_repositories")
    with op.batch_alter_table("compute_services", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_compute_services_account_id"))

    op.drop_table("compute_services")
    with op.batch_alter_table("cloud_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cloud_accounts_account_id"))

    op.drop_table("cloud_accounts")
