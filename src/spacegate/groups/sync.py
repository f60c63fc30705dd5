"""Group memberships as the identity provider states them: at each single sign-on (the
groups claim or attribute) and through SCIM. Only groups with an `idp_identifier` are
the provider's to decide; groups kept in spacegate alone are left as they are.

No person's permissions are checked here (the provider is the authority an Account
Admin connected, see `sso.config.ensure_may_connect`), but rule 5 holds: a removal that
would take the last active Account Admin is not made.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from spacegate.audit import service as audit
from spacegate.errors import LastAdmin
from spacegate.grants.cache import mark_changed
from spacegate.grants.context import Actor
from spacegate.groups.membership import remove_member_without_checks
from spacegate.groups.models import Group, GroupMember
from spacegate.users.models import User

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncResult:
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()
    """Removals refused because they would take the last active Account Admin."""


def sync_memberships(
    session: Session, actor: Actor, user: User, idp_groups: Iterable[str]
) -> SyncResult:
    """Make `user` a member of exactly the provider-mapped groups named in `idp_groups`."""
    named = set(idp_groups)
    mapped = list(
        session.scalars(
            select(Group).where(
                Group.account_id == user.account_id, Group.idp_identifier.is_not(None)
            )
        )
    )
    current = set(
        session.scalars(
            select(GroupMember.group_id).where(
                GroupMember.user_id == user.id,
                GroupMember.group_id.in_([group.id for group in mapped]),
            )
        )
    )
    to_add = [g for g in mapped if g.idp_identifier in named and g.id not in current]
    to_remove = [g for g in mapped if g.idp_identifier not in named and g.id in current]
    if not to_add and not to_remove:
        return SyncResult()
    mark_changed(session, user.account_id, "user", user.id)
    for group in to_add:
        session.add(GroupMember(group_id=group.id, user_id=user.id))
        audit.record(
            session,
            actor,
            "group.member_add",
            target_type="user",
            target=user.email,
            after={"group": group.name},
        )
    kept: list[str] = []
    for group in to_remove:
        try:
            remove_member_without_checks(session, actor, group, user)
        except LastAdmin:
            log.warning(
                "kept %s in group %r: they are the last active Account Admin",
                user.email,
                group.name,
            )
            kept.append(group.name)
    session.flush()
    return SyncResult(
        tuple(g.name for g in to_add),
        tuple(g.name for g in to_remove if g.name not in kept),
        tuple(kept),
    )
