"""Permission sets as integer bitmasks: one bit per catalog entry, in catalog order."""

from __future__ import annotations

from collections.abc import Iterable

from spacegate.authz.catalog import CATALOG, Level, Permission

BIT: dict[Permission, int] = {spec.id: 1 << position for position, spec in enumerate(CATALOG)}
SPACE_LEVEL_MASK: int = sum(BIT[spec.id] for spec in CATALOG if spec.level is Level.SPACE)
ACCOUNT_LEVEL_MASK: int = sum(BIT[spec.id] for spec in CATALOG if spec.level is Level.ACCOUNT)


def mask_of(permissions: Iterable[Permission]) -> int:
    mask = 0
    for permission in permissions:
        mask |= BIT[permission]
    return mask


def permissions_in(mask: int) -> frozenset[Permission]:
    return frozenset(permission for permission, bit in BIT.items() if mask & bit)


def sorted_permissions(mask: int) -> list[Permission]:
    """Permissions of a mask in catalog order (stable output for APIs and docs)."""
    return [spec.id for spec in CATALOG if mask & BIT[spec.id]]


def effective_account_mask(role_mask: int) -> int:
    """What an account role grants everywhere: FULL_ACCESS_ALL_SPACES implies every
    space permission in every space (rule 1)."""
    if role_mask & BIT[Permission.FULL_ACCESS_ALL_SPACES]:
        return role_mask | SPACE_LEVEL_MASK
    return role_mask
