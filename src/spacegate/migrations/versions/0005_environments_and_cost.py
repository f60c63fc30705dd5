"""environments and cost

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 04:11:05.348652
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import spacegate.db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "environments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("space_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("blueprint_id", sa.Integer(), nullable=True),
        sa.Column("blueprint_name", sa.String(length=255), nullable=False),
        sa.Column("repository_name", sa.String(length=64), nullable=False),
        sa.Column("blueprint_commit", sa.String(length=64), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("owner_email", sa.String(length=254), nullable=False),
        sa.Column("production", sa.Boolean(), nullable=False),
        sa.Column("automation", sa.Boolean(), nullable=False),
        sa.Column("cloud_account_id", sa.Integer(), nullable=True),
        sa.Column("cloud_account_name", sa.String(length=64), nullable=True),
        sa.Column("compute_service_id", sa.Integer(), nullable=True),
        sa.Column("compute_service_name", sa.String(length=64), nullable=True),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("sensitive_inputs_sealed", sa.Text(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("resources", sa.JSON(), nullable=False),
        sa.Column("outputs", sa.JSON(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("log", sa.Text(), nullable=False),
        sa.Column("cost_per_hour", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("launched_at", spacegate.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("active_at", spacegate.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("scheduled_end_at", spacegate.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("end_requested_at", spacegate.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(length=254), nullable=True),
        sa.Column("ended_at", spacegate.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claim", sa.String(length=32), nullable=True),
        sa.Column("claimed_at", spacegate.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", spacegate.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_environments_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["blueprint_id"],
            ["blueprints.id"],
            name=op.f("fk_environments_blueprint_id_blueprints"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["cloud_account_id"],
            ["cloud_accounts.id"],
            name=op.f("fk_environments_cloud_account_id_cloud_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["compute_service_id"],
            ["compute_services.id"],
            name=op.f("fk_environments_compute_service_id_compute_services"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_environments_owner_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["space_id"],
            ["spaces.id"],
            name=op.f("fk_environments_space_id_spaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_environments")),
        sa.UniqueConstraint("public_id", name=op.f("uq_environments_public_id")),
    )
    with op.batch_alter_table("environments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_environments_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_environments_blueprint_id"), ["blueprint_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_environments_cloud_account_id"), ["cloud_account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_environments_compute_service_id"), ["compute_service_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_environments_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_environments_scheduled_end_at"), ["scheduled_end_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_environments_space_id"), ["space_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_environments_status"), ["status"], unique=False)

    op.create_table(
        "cost_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("space_id", sa.Integer(), nullable=False),
        sa.Column("environment_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("ingested_by", sa.String(length=254), nullable=False),
        sa.Column("created_at", spacegate.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", spacegate.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_cost_records_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["environment_id"],
            ["environments.id"],
            name=op.f("fk_cost_records_environment_id_environments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["space_id"],
            ["spaces.id"],
            name=op.f("fk_cost_records_space_id_spaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cost_records")),
        sa.UniqueConstraint(
            "environment_id", "day", name=op.f("uq_cost_records_environment_id_day")
        ),
    )
    with op.batch_alter_table("cost_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cost_records_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_cost_records_day"), ["day"], unique=False)
        batch_op.create_index(batch_op.f("ix_cost_records_space_id"), ["space_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cost_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cost_records_space_id"))
        batch_op.drop_index(batch_op.f("ix_cost_records_day"))
        batch_op.drop_index(batch_op.f("ix_cost_records_account_id"))

    op.drop_table("cost_records")
    with op.batch_alter_table("environments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_environments_status"))
        batch_op.drop_index(batch_op.f("ix_environments_space_id"))
        batch_op.drop_index(batch_op.f("ix_environments_scheduled_end_at"))
        batch_op.drop_index(batch_op.f("ix_environments_owner_id"))
        batch_op.drop_index(batch_op.f("ix_environments_compute_service_id"))
        batch_op.drop_index(batch_op.f("ix_environments_cloud_account_id"))
        batch_op.drop_index(batch_op.f("ix_environments_blueprint_id"))
        batch_op.drop_index(batch_op.f("ix_environments_account_id"))

    op.drop_table("environments")
