"""What a route needs, by name: the guards of `spacegate.access.guard` as annotations.

The API and the console declare their routes' permissions with these, one place for
all of them, so that a route reads `access: ManageSpaceUsers` and the matrix test can
still find the guard behind it. Account-level shorthands hand over an `Access`; space
shorthands (the `{space}` path parameter) a `SpaceAccess`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from spacegate.access.guard import (
    Public,
    RequireAccount,
    RequireAnySpace,
    RequireSpace,
    SignedIn,
    SpaceAccess,
)
from spacegate.authz import Permission
from spacegate.grants.context import Access

P = Permission

Anyone = Depends(Public())
"""For `dependencies=[Anyone]`: no credentials needed (sign-in, sign-up, setup)."""

SignedInAccess = Annotated[Access, Depends(SignedIn())]

# -- account permissions ----------------------------------------------------------------

Administration = Annotated[Access, Depends(RequireAccount(P.ACCESS_ADMINISTRATION))]
ManageAccountUsers = Annotated[Access, Depends(RequireAccount(P.MANAGE_ACCOUNT_USERS))]
InviteUsers = Annotated[Access, Depends(RequireAccount(P.INVITE_USERS))]
CreateSpaces = Annotated[Access, Depends(RequireAccount(P.CREATE_SPACES))]
CreateRoles = Annotated[Access, Depends(RequireAccount(P.CREATE_ROLES))]
ManageAccountTags = Annotated[Access, Depends(RequireAccount(P.MANAGE_ACCOUNT_TAGS))]
ManageCloudAccounts = Annotated[Access, Depends(RequireAccount(P.ADD_REMOVE_CLOUD_ACCOUNTS))]
FullAccessAllSpaces = Annotated[Access, Depends(RequireAccount(P.FULL_ACCESS_ALL_SPACES))]
IntegrateIdp = Annotated[Access, Depends(RequireAccount(P.INTEGRATE_IDP))]

# -- permissions in the space of the path ---------------------------------------------------

ViewSpace = Annotated[SpaceAccess, Depends(RequireSpace(P.VIEW_SPACE))]
ManageSpace = Annotated[SpaceAccess, Depends(RequireSpace(P.CREATE_SPACES))]
"""Rename, recolour or delete the space: CREATE_SPACES (account), with sight of it."""
ManageSpaceUsers = Annotated[SpaceAccess, Depends(RequireSpace(P.MANAGE_SPACE_USERS))]
CloudAccountInfo = Annotated[SpaceAccess, Depends(RequireSpace(P.GET_CLOUD_ACCOUNT_INFO))]
BrowseCatalog = Annotated[SpaceAccess, Depends(RequireSpace(P.BROWSE_CATALOG))]
PublishBlueprints = Annotated[SpaceAccess, Depends(RequireSpace(P.PUBLISH_BLUEPRINTS))]
SetupRepositories = Annotated[SpaceAccess, Depends(RequireSpace(P.SETUP_BLUEPRINT_REPOSITORIES))]
SeeBlueprints = Annotated[
    SpaceAccess, Depends(RequireAnySpace(P.PUBLISH_BLUEPRINTS, P.MANAGE_BLUEPRINT_TAGS))
]
ManageBlueprintTags = Annotated[SpaceAccess, Depends(RequireSpace(P.MANAGE_BLUEPRINT_TAGS))]
ManageSpaceTags = Annotated[SpaceAccess, Depends(RequireSpace(P.MANAGE_SPACE_TAGS))]
ManageSpacePolicies = Annotated[SpaceAccess, Depends(RequireSpace(P.MANAGE_SPACE_POLICIES))]
OperateEnvironments = Annotated[
    SpaceAccess,
    Depends(RequireAnySpace(P.LAUNCH_SANDBOXES, P.MANAGE_PRODUCTION_ENVIRONMENTS)),
]
"""Launch, end or extend: which of the two an environment needs is the service's rule."""
ViewCost = Annotated[SpaceAccess, Depends(RequireSpace(P.VIEW_COST_DATA))]
