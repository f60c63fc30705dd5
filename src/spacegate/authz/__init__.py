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
from spacegate.authz.explain import Explanation, GrantStep, MissingGrant, explain
from spacegate.authz.index import AccountGrants, AccountIndex, GroupGrant, RoleDef, RoleKey

__all__ = [
    "CATALOG",
    "SPEC_BY_ID",
    "AccountGrants",
    "AccountIndex",
    "BuiltinRole",
    "Explanation",
    "GrantStep",
    "GroupGrant",
    "Level",
    "MissingGrant",
    "Permission",
    "PermissionSpec",
    "RoleDef",
    "RoleKey",
    "explain",
]
