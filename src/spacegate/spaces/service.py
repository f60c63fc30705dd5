"""Spaces and memberships. A membership grants its space role in that space only.

Deleting a space asks the domains above (`SPACE_DELETION`, see `spacegate.consult`)
what keeps it; environments answer with those still running there.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from spacegate.audit import service as audit
from spacegate.authz import Permission
from spacegate.authz.masks import sorted_permissions
from spacegate.consult import ask
from spacegate.errors import Conflict, InvalidInput
from spacegate.grants.cache import mark_changed
from spacegate.grants.context import Access
from spacegate.names import clean_name
from spacegate.spaces.models import Space, SpaceMembership

COLORS = ("blue", "green", "orange", "purple", "red", "teal", "yellow", "grey")

SPACE_DELETION = "space-deletion"
"""Asked (`spacegate.consult.ask`) with the space before deleting it: the domains above
answer with what must end first (environments: those still running)."""


def _clean_color(color: str | None) -> str | None:
    if color is None:
        return None
    if color not in COLORS:
        raise InvalidInput(
            f"'{color}' is not a space color; choose one of {', '.join(COLORS)}.", field="color"
        )
    return color


def _clean_icon(icon: str | None) -> str | None:
    if icon is None:
        return None
    icon = icon.strip()
    if not icon or len(icon) > 32 or not icon.replace("-", "").replace("_", "").isalnum():
        raise InvalidInput("The icon must be 1 to 32 letters, digits, '-' or '_'.", field="icon")
    return icon


def find_space(session: Session, account_id: int, name: str) -> Space | None:
    return session.scalar(
        select(Space).where(Space.account_id == account_id, Space.name_key == name.strip().lower())
    )


def get_space(session: Session, space_id: int) -> Space | None:
    return session.get(Space, space_id)


def account_spaces(session: Session, account_id: int) -> list[Space]:
    """Every space of the account, by name: for administrators, who see them all."""
    return list(
        session.scalars(
            select(Space).where(Space.account_id == account_id).order_by(Space.name_key)
        )
    )


def space_names(session: Session, account_id: int, ids: Iterable[int]) -> dict[int, str]:
    """The names of those of the account's spaces, by id (only those asked for: an
    account may hold thousands)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = session.execute(
        select(Space.id, Space.name).where(Space.account_id == account_id, Space.id.in_(wanted))
    )
    return {space_id: name for space_id, name in rows}


def visible_spaces(
    session: Session, access: Access, *, limit: int | None = None, after: str | None = None
) -> list[Space]:
    """The spaces the caller sees (rule 3), by name: a page of `limit` after the name key
    `after`, when given. Which spaces those are comes from the grant index (no scan of
    the account's spaces)."""
    statement = select(Space).where(Space.account_id == access.caller.account_id)
    visible = access.visible_space_ids()
    if visible is not None:
        statement = statement.where(Space.id.in_(sorted(visible)))
    if after is not None:
        statement = statement.where(Space.name_key > after)
    statement = statement.order_by(Space.name_key)
    if limit is not None:
        statement = statement.limit(limit)
    return list(session.scalars(statement))


def _ensure_free_name(
    session: Session, account_id: int, name: str, except_id: int | None = None
) -> None:
    existing = find_space(session, account_id, name)
    if existing is not None and existing.id != except_id:
        raise Conflict(f"A space named '{existing.name}' already exists.", field="name")


def create_space(
    session: Session, access: Access, *, name: str, color: str | None, icon: str | None
) -> Space:
    """Raises InvalidInput (422) for a bad name, color or icon, Conflict (409) for a
    name another space of the account has."""
    account_id = access.caller.account_id
    name = clean_name(name, "space")
    _ensure_free_name(session, account_id, name)
    space = Space(
        account_id=account_id,
        name=name,
        name_key=name.lower(),
        color=_clean_color(color) or "blue",
        icon=_clean_icon(icon) or "space",
    )
    session.add(space)
    session.flush()
    mark_changed(session, account_id, "space", space.id)  # the index maps names to ids
    audit.record(
        session,
        access.caller.actor,
        "space.create",
        target_type="space",
        target=name,
        after={"color": space.color, "icon": space.icon},
    )
    return space


def update_space(
    session: Session,
    access: Access,
    space: Space,
    *,
    name: str | None,
    color: str | None,
    icon: str | None,
) -> Space:
    """Rename, recolor or change the icon; what is None stays. Raises InvalidInput
    (422) for a bad name, color or icon, Conflict (409) for a name another space has."""
    before = {"name": space.name, "color": space.color, "icon": space.icon}
    if name is not None:
        new_name = clean_name(name, "space")
        _ensure_free_name(session, space.account_id, new_name, except_id=space.id)
        space.name, space.name_key = new_name, new_name.lower()
        mark_changed(session, space.account_id, "space", space.id)
    space.color = _clean_color(color) or space.color
    space.icon = _clean_icon(icon) or space.icon
    session.flush()
    after = {"name": space.name, "color": space.color, "icon": space.icon}
    if after != before:
        audit.record(
            session,
            access.caller.actor,
            "space.update",
            target_type="space",
            target=space.name,
            before=before,
            after=after,
        )
    return space


def delete_space(session: Session, access: Access, space: Space) -> None:
    """Delete the space with its memberships; pending invitations into it keep the grant
    without the space (sign-up says it was skipped), narrowed tokens lose it. Raises
    Conflict (409) while environments of the space still run: they must be ended first,
    or their cloud resources would be left behind with no owner."""
    running = ask(session, SPACE_DELETION, space)
    if running:
        raise Conflict(
            f"Space '{space.name}' still has running environments ({', '.join(running)}); "
            "end them first."
        )
    members = session.scalar(
        select(func.count())
        .select_from(SpaceMembership)
        .where(SpaceMembership.space_id == space.id)
    )
    audit.record(
        session,
        access.caller.actor,
        "space.delete",
        target_type="space",
        target=space.name,
        before={"members": members},
    )
    session.delete(space)
    mark_changed(session, space.account_id, "space", space.id)


def space_permissions(access: Access, space: Space) -> list[Permission]:
    return sorted_permissions(access.mask(space.id))
