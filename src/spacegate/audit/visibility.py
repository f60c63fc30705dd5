"""What a reader of the audit log may see of an event's details.

The audit log is for holders of ACCESS_ADMINISTRATION, but an event's before/after can
hold what a direct read refuses them: a policy's module and data (MANAGE_SPACE_POLICIES
in its space), a cloud account's details (ADD_REMOVE_CLOUD_ACCOUNTS), a repository's URL
(SETUP_BLUEPRINT_REPOSITORIES). Such an event is still listed (who did what, when, to
what), its details withheld unless the reader may read them where they are.
"""

from __future__ import annotations

from typing import Any

from spacegate.audit.models import AuditEvent
from spacegate.authz import Permission
from spacegate.grants.context import Access

P = Permission
WITHHELD: dict[str, Any] = {"withheld": "You may not read the details of this change."}

READ_NEEDS: dict[str, tuple[Permission, bool]] = {
    # target type: (the permission a direct read needs, whether in the event's space)
    "policy": (P.MANAGE_SPACE_POLICIES, True),
    "repository": (P.SETUP_BLUEPRINT_REPOSITORIES, True),
    "environment": (P.VIEW_SPACE, True),
    "cloud_account": (P.ADD_REMOVE_CLOUD_ACCOUNTS, False),
    "compute_service": (P.ADD_REMOVE_CLOUD_ACCOUNTS, False),
    "idp": (P.INTEGRATE_IDP, False),
    "scim_token": (P.INTEGRATE_IDP, False),
    "cost": (P.VIEW_COST_DATA, False),
}


def may_read_details(event: AuditEvent, access: Access) -> bool:
    """Whether `access` may read `event`'s details. The event's space is found by name in
    the grant index (no query); an event whose space is gone (or renamed) needs the
    permission account-wide."""
    need = READ_NEEDS.get(event.target_type)
    if need is None:
        return True
    permission, in_space = need
    if not in_space:
        return access.has(permission)
    name = (event.after or {}).get("space") or (event.before or {}).get("space")
    space_id = access.index.space_ids.get(name.lower()) if isinstance(name, str) else None
    return access.has(permission, space_id) if space_id is not None else access.has(permission)


def details(
    event: AuditEvent, access: Access
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The event's before and after as `access` may see them."""
    if may_read_details(event, access):
        return event.before, event.after
    return (
        dict(WITHHELD) if event.before is not None else None,
        dict(WITHHELD) if event.after is not None else None,
    )
