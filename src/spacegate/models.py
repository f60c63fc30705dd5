"""Every table, imported in one place so that Alembic and the tests see the whole schema."""

from spacegate.accounts.models import Account
from spacegate.audit.models import AuditEvent
from spacegate.auth.models import Token
from spacegate.db import Base
from spacegate.roles.models import CustomRole
from spacegate.spaces.models import Space, SpaceMembership
from spacegate.users.models import User

__all__ = [
    "Account",
    "AuditEvent",
    "Base",
    "CustomRole",
    "Space",
    "SpaceMembership",
    "Token",
    "User",
]
