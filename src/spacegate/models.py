"""Every table, imported in one place so that Alembic and the tests see the whole schema."""

from spacegate.accounts.models import Account
from spacegate.audit.models import AuditEvent
from spacegate.auth.models import PasswordReset, Token, TokenSpace
from spacegate.blueprints.models import Blueprint, Repository
from spacegate.cloudaccounts.models import (
    CloudAccount,
    CloudAccountSpace,
    ComputeService,
    ComputeServiceSpace,
)
from spacegate.cost.models import CostRecord
from spacegate.db import Base
from spacegate.environments.models import Environment
from spacegate.groups.models import Group, GroupMember, GroupSpaceRole
from spacegate.invitations.models import Invitation, InvitationSpace
from spacegate.mail.models import OutboxMessage
from spacegate.policies.models import SpacePolicy
from spacegate.roles.models import CustomRole
from spacegate.scim.models import ScimGroup, ScimToken, ScimUser
from spacegate.spaces.models import Space, SpaceMembership
from spacegate.sso.models import IdentityProvider, UsedSignInValue
from spacegate.tags.models import BlueprintTagValue, SpaceTagValue, TagDefinition, TagSettings
from spacegate.users.models import User

__all__ = [
    "Account",
    "AuditEvent",
    "Base",
    "Blueprint",
    "BlueprintTagValue",
    "CloudAccount",
    "CloudAccountSpace",
    "ComputeService",
    "ComputeServiceSpace",
    "CostRecord",
    "CustomRole",
    "Environment",
    "Group",
    "GroupMember",
    "GroupSpaceRole",
    "IdentityProvider",
    "Invitation",
    "InvitationSpace",
    "OutboxMessage",
    "PasswordReset",
    "Repository",
    "ScimGroup",
    "ScimToken",
    "ScimUser",
    "Space",
    "SpaceMembership",
    "SpacePolicy",
    "SpaceTagValue",
    "TagDefinition",
    "TagSettings",
    "Token",
    "TokenSpace",
    "UsedSignInValue",
    "User",
]
