"""security hardening: repository tokens bound to their host, sync leases, token
families, password resets

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 10:30:00.000000
"""

from collections.abc import Sequence
from urllib.parse import urlsplit

import sqlalchemy as sa
from alembic import op

import spacegate.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _host(url: str) -> str | None:
    """The `scheme://host:port` of an http(s) URL (as `spacegate.blueprints.git.url_host`
    says it; copied, since a migration must not change when the code does)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    default = 443 if parts.scheme == "https" else 80
    return f"{parts.scheme}://{parts.hostname.lower()}:{port or default}"


def upgrade() -> None:
    with op.batch_alter_table("blueprint_repositories", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token_host", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("sync_claim", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("sync_lease_until", spacegate.db.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("family", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("used_at", spacegate.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_tokens_family"), ["family"], unique=False)
    op.create_table(
        "password_resets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", spacegate.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", spacegate.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", spacegate.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_password_resets_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_password_resets_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_resets")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_resets_token_hash")),
    )
    with op.batch_alter_table("password_resets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_password_resets_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_password_resets_user_id"), ["user_id"], unique=False)
    # Existing tokens are bound to the host of the URL they are stored with now.
    connection = op.get_bind()
    repositories = sa.table(
        "blueprint_repositories",
        sa.column("id", sa.Integer()),
        sa.column("url", sa.String()),
        sa.column("token_sealed", sa.Text()),
        sa.column("token_host", sa.String()),
    )
    rows = connection.execute(
        sa.select(repositories.c.id, repositories.c.url).where(
            repositories.c.token_sealed.is_not(None)
        )
    ).all()
    for repository_id, url in rows:
        connection.execute(
            repositories.update()
            .where(repositories.c.id == repository_id)
            .values(token_host=_host(url))
        )


def downgrade() -> None:
    with op.batch_alter_table("password_resets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_password_resets_user_id"))
        batch_op.drop_index(batch_op.f("ix_password_resets_account_id"))
    op.drop_table("password_resets")
    with op.batch_alter_table("tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tokens_family"))
        batch_op.drop_column("used_at")
        batch_op.drop_column("family")
    with op.batch_alter_table("blueprint_repositories", schema=None) as batch_op:
        batch_op.drop_column("sync_lease_until")
        batch_op.drop_column("sync_claim")
        batch_op.drop_column("token_host")
