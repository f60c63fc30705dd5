"""Authorization: the permission catalog, the grant index and its decisions.

Pure Python: nothing here imports the web framework or the database. The loader that
reads grants from the database lives in `spacegate.grants`.
"""

from spacegate.authz.catalog import (
    CATALOG,
    SPEC_BY_ID,
    BuiltinRole,
    Level,
    Permission,
    PermissionSpec,
)
from spacegate.authz.explain import Explanation, GrantStep, MissingGrant, decide, explain
from spacegate.authz.grants import (
    AccountGrants,
    GroupGrant,
    Holder,
    RoleDef,
    RoleKey,
    UserGrants,
)
from spacegate.authz.index import AccountIndex

__all__ = [
    "CATALOG",
    "SPEC_BY_ID",
    "AccountGrants",
    "AccountIndex",
    "BuiltinRole",
    "Explanation",
    "GrantStep",
    "GroupGrant",
    "Holder",
    "Level",
    "MissingGrant",
    "Permission",
    "PermissionSpec",
    "RoleDef",
    "RoleKey",
    "UserGrants",
    "decide",
    "explain",
]
