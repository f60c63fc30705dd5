"""Every table, imported in one place so that Alembic and the tests see the whole schema."""

from spacegate.accounts.models import Account
from spacegate.audit.models import AuditEvent
from spacegate.auth.models import Token
from spacegate.blueprints.models import Blueprint, Repository
from spacegate.cloudaccounts.models import (
    CloudAccount,
    CloudAccountSpace,
    ComputeService,
    ComputeServiceSpace,
)
from spacegate.db import Base
from spacegate.invitations.models import Invitation
from spacegate.mail.models import OutboxMessage
from spacegate.roles.models import CustomRole
from spacegate.spaces.models import Space, SpaceMembership
from spacegate.users.models import User

__all__ = [
    "Account",
    "AuditEvent",
    "Base",
    "Blueprint",
    "CloudAccount",
    "CloudAccountSpace",
    "ComputeService",
    "ComputeServiceSpace",
    "CustomRole",
    "Invitation",
    "OutboxMessage",
    "Repository",
    "Space",
    "SpaceMembership",
    "Token",
    "User",
]
