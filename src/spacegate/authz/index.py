"""The in-memory grant index of one account, the decisions made from it, and the deltas
that keep it current.

A decision is two or three dict lookups and a bit test, with no database access and no
allocation. The index is built once from plain data (`AccountGrants`); afterwards each
committed change is applied as a delta for the one thing it changed — a user (their
account role, status, space roles and groups), a space, a role definition, a group —
so a change costs the change, not the account (`spacegate.grants.cache` applies them).

Layout, chosen for an account of 100,000 users and 520,000 space grants:

- every (user, space) grant lives in the space's own dict, `user -> grant set`: one
  small dict per space is lighter than one big dict keyed by pairs, and lists a space's
  members at once;
- a *grant set* is the tuple of roles a user holds in one place — their own role and
  their groups' (`(role, None)`, `(role, group id)`), interned as a small int, so equal
  sets share one entry and a role's new definition changes only the sets' masks;
- account-level masks (the account role, the groups' account roles,
  FULL_ACCESS_ALL_SPACES expanded) are kept only where non-zero.

Readers may run while a delta is applied (dict operations are atomic in CPython); each
update replaces values rather than removing and re-adding them, so a concurrent check
sees the old or the new grant, never none.
"""

from __future__ import annotations

from collections.abc import Iterator

from spacegate.authz.catalog import Permission
from spacegate.authz.grants import (
    BUILTIN_ROLE_DEFS,
    AccountGrants,
    Grant,
    GroupGrant,
    Holder,
    RoleDef,
    RoleKey,
    UserGrants,
)
from spacegate.authz.masks import (
    BIT,
    SPACE_LEVEL_MASK,
    effective_account_mask,
    mask_of,
)

_EMPTY: tuple[Grant, ...] = ()


class AccountIndex:
    """Who may do what in one account: decisions, explanations' data, lookups, deltas."""

    __slots__ = (
        "_account_masks",
        "_combo_ids",
        "_combo_masks",
        "_combos",
        "_members",
        "account_roles",
        "emails",
        "groups",
        "role_masks",
        "roles",
        "space_ids",
        "space_names",
        "user_groups",
        "user_ids",
    )

    def __init__(self, grants: AccountGrants) -> None:
        self.roles: dict[RoleKey, RoleDef] = {role.key: role for role in BUILTIN_ROLE_DEFS}
        for custom in grants.custom_roles:
            self.roles[custom.key] = custom
        self.role_masks: dict[RoleKey, int] = {
            key: mask_of(role.permissions) for key, role in self.roles.items()
        }
        self.user_ids: dict[str, int] = dict(grants.user_ids)
        self.emails: dict[int, str] = (
            dict(grants.emails)
            if grants.emails is not None
            else {user: email for email, user in self.user_ids.items()}
        )
        self.space_ids: dict[str, int] = dict(grants.space_ids)
        self.space_names: dict[int, str] = (
            dict(grants.space_names)
            if grants.space_names is not None
            else {space: name for name, space in self.space_ids.items()}
        )
        self.account_roles: dict[int, RoleKey] = dict(grants.account_roles)
        self.groups: dict[int, GroupGrant] = {group.id: group for group in grants.groups}
        self.user_groups: dict[int, tuple[int, ...]] = {}
        for group in self.groups.values():
            for user in group.members:
                if user in self.account_roles:
                    self.user_groups[user] = (*self.user_groups.get(user, ()), group.id)
        # Grant sets: number 0 is the empty set, so "no grant" needs no special case.
        self._combos: list[tuple[Grant, ...]] = [_EMPTY]
        self._combo_masks: list[int] = [0]
        self._combo_ids: dict[tuple[Grant, ...], int] = {_EMPTY: 0}
        self._account_masks: dict[int, int] = {}
        for user in self.account_roles:
            self._refresh_account_mask(user)
        self._members: dict[int, dict[int, int]] = {}
        active = self.account_roles
        direct: dict[RoleKey, int] = {}  # the common grant set: one role held directly
        last_space, members = -1, {}
        for user, space, role in grants.space_roles:
            if user not in active:
                continue
            if space != last_space:
                members = self._members.setdefault(space, {})
                last_space = space
            combo = direct.get(role)
            if combo is None:
                combo = direct[role] = self._combo(((role, None),))
            members[user] = combo
        for user, group_ids in self.user_groups.items():
            for group_id in group_ids:
                for space, role in self.groups[group_id].space_roles.items():
                    self._add_grant(user, space, (role, group_id))

    # -- decisions (the hot path) ---------------------------------------------------------

    def account_mask(self, user_id: int) -> int:
        return self._account_masks.get(user_id, 0)

    def space_mask(self, user_id: int, space_id: int) -> int:
        mask = self._account_masks.get(user_id, 0)
        members = self._members.get(space_id)
        if members is not None:
            combo = members.get(user_id)
            if combo:
                mask |= self._combo_masks[combo]
        return mask

    def can_see_space(self, user_id: int, space_id: int) -> bool:
        """Rule 3: a user sees a space when they hold any space permission in it."""
        return bool(self.space_mask(user_id, space_id) & SPACE_LEVEL_MASK)

    def is_active_user(self, user_id: int) -> bool:
        return user_id in self.account_roles

    def role_mask(self, role: RoleKey) -> int:
        return self.role_masks.get(role, 0)

    # -- what explanations and lookups read ------------------------------------------------

    def space_grants(self, user_id: int, space_id: int) -> tuple[Grant, ...]:
        """The roles the user holds in the space itself (their own and their groups')."""
        members = self._members.get(space_id)
        combo = members.get(user_id, 0) if members is not None else 0
        return self._combos[combo]

    def account_grants(self, user_id: int) -> tuple[Grant, ...]:
        """The account roles the user holds: their own, then their groups'."""
        role = self.account_roles.get(user_id)
        if role is None:
            return _EMPTY
        held: list[Grant] = [(role, None)]
        for group_id in self.user_groups.get(user_id, ()):
            group_role = self.groups[group_id].account_role
            if group_role is not None:
                held.append((group_role, group_id))
        return tuple(held)

    def spaces_seen_by(self, user_id: int) -> list[int] | None:
        """The spaces the user sees (rule 3: any space permission there), by id; None
        when an account role shows them every space of the account."""
        if self._account_masks.get(user_id, 0) & SPACE_LEVEL_MASK:
            return None
        masks = self._combo_masks
        return sorted(
            space
            for space, members in self._members.items()
            if (combo := members.get(user_id)) and masks[combo] & SPACE_LEVEL_MASK
        )

    def spaces_with(self, user_id: int, permission: Permission, after: int = 0) -> Iterator[int]:
        """The spaces (ids above `after`, ascending) where the user holds `permission`."""
        bit = BIT[permission]
        everywhere = bool(self._account_masks.get(user_id, 0) & bit)
        masks = self._combo_masks
        for space in sorted(s for s in self.space_names if s > after):
            if everywhere:
                yield space
                continue
            members = self._members.get(space)
            combo = members.get(user_id) if members is not None else None
            if combo and masks[combo] & bit:
                yield space

    def holders(self, space_id: int, permission: Permission, after: int = 0) -> Iterator[Holder]:
        """Who holds `permission` in the space (user ids above `after`, ascending), and
        through which roles."""
        bit = BIT[permission]
        candidates = {u for u in self._members.get(space_id, {}) if u > after}
        candidates.update(u for u, mask in self._account_masks.items() if mask & bit and u > after)
        for user in sorted(candidates):
            through = self.grants_giving(user, space_id, permission)
            if through:
                yield Holder(user, through)

    def grants_giving(
        self, user_id: int, space_id: int | None, permission: Permission
    ) -> tuple[Grant, ...]:
        """The roles through which the user holds `permission` (in the space): account
        roles first, then the roles held in the space itself."""
        bit = BIT[permission]
        through = [
            grant
            for grant in self.account_grants(user_id)
            if effective_account_mask(self.role_masks.get(grant[0], 0)) & bit
        ]
        if space_id is not None:
            through += [
                grant
                for grant in self.space_grants(user_id, space_id)
                if self.role_masks.get(grant[0], 0) & bit
            ]
        return tuple(through)

    # -- deltas ------------------------------------------------------------------------------

    def set_user(self, user_id: int, user: UserGrants | None) -> None:
        """The user as they are now (None: removed). An inactive user keeps their name
        (for explanations) and loses every grant."""
        old_key = (self.emails.get(user_id) or "").lower()
        moved = user is None or old_key != user.email.lower()
        if old_key and moved and self.user_ids.get(old_key) == user_id:
            del self.user_ids[old_key]
        if user is None:
            self.emails.pop(user_id, None)
        else:
            self.emails[user_id] = user.email
            self.user_ids[user.email.lower()] = user_id
        # The groups' member lists are the other view of the same memberships.
        joined = user.groups if user is not None else frozenset()
        for group_id, group in list(self.groups.items()):
            if (group_id in joined) != (user_id in group.members):
                self.groups[group_id] = GroupGrant(
                    group.id,
                    group.name,
                    group.members ^ {user_id},
                    group.account_role,
                    group.space_roles,
                )
        if user is None or not user.active:
            self.account_roles.pop(user_id, None)
            self.user_groups.pop(user_id, None)
            self._account_masks.pop(user_id, None)
            for grants_here in self._members.values():
                grants_here.pop(user_id, None)
            return
        self.account_roles[user_id] = user.account_role
        groups = tuple(sorted(g for g in user.groups if g in self.groups))
        if groups:
            self.user_groups[user_id] = groups
        else:
            self.user_groups.pop(user_id, None)
        self._refresh_account_mask(user_id)
        wanted: dict[int, list[Grant]] = {
            space: [(role, None)] for space, role in user.space_roles.items()
        }
        for group_id in groups:
            for space, role in self.groups[group_id].space_roles.items():
                wanted.setdefault(space, []).append((role, group_id))
        for space, held in wanted.items():
            self._members.setdefault(space, {})[user_id] = self._combo(tuple(held))
        for space, held_here in self._members.items():
            if space not in wanted:
                held_here.pop(user_id, None)

    def set_space(self, space_id: int, name: str | None) -> None:
        """A space created or renamed (its name), or deleted (None): its grants go."""
        old = self.space_names.get(space_id)
        if old is not None and self.space_ids.get(old.lower()) == space_id:
            del self.space_ids[old.lower()]
        if name is None:
            self.space_names.pop(space_id, None)
            self._members.pop(space_id, None)
            # Its group roles went with it (a foreign key cascade in the database).
            for group_id, group in list(self.groups.items()):
                if space_id in group.space_roles:
                    roles = {s: r for s, r in group.space_roles.items() if s != space_id}
                    self.groups[group_id] = GroupGrant(
                        group.id, group.name, group.members, group.account_role, roles
                    )
            return
        self.space_names[space_id] = name
        self.space_ids[name.lower()] = space_id

    def set_role(self, key: RoleKey, role: RoleDef | None) -> None:
        """A custom role created, edited or renamed (None: deleted). Grant sets keep the
        role's key; their masks follow its permissions."""
        if role is None:
            self.roles.pop(key, None)
            self.role_masks.pop(key, None)
        else:
            self.roles[key] = role
            self.role_masks[key] = mask_of(role.permissions)
        self._combo_masks = [self._mask_of(combo) for combo in self._combos]
        for user, role_key in self.account_roles.items():
            if role_key == key or user in self.user_groups:
                self._refresh_account_mask(user)

    def set_group(self, group: GroupGrant | int) -> None:
        """A group as it is now, or the id of a deleted one: its old and new members'
        grants in its old and new spaces are worked out again."""
        group_id = group if isinstance(group, int) else group.id
        old = self.groups.pop(group_id, None)
        new = None if isinstance(group, int) else group
        if new is not None:
            self.groups[group_id] = new
        members = (old.members if old else frozenset()) | (new.members if new else frozenset())
        spaces = set(old.space_roles if old else ()) | set(new.space_roles if new else ())
        for user in members:
            if user not in self.account_roles:
                continue
            groups = set(self.user_groups.get(user, ()))
            groups.discard(group_id)
            if new is not None and user in new.members:
                groups.add(group_id)
            if groups:
                self.user_groups[user] = tuple(sorted(groups))
            else:
                self.user_groups.pop(user, None)
            self._refresh_account_mask(user)
            for space in spaces:
                self._regroup(user, space)

    # -- internals ---------------------------------------------------------------------------

    def _combo(self, held: tuple[Grant, ...]) -> int:
        combo = self._combo_ids.get(held)
        if combo is None:
            combo = len(self._combos)
            self._combos.append(held)
            self._combo_masks.append(self._mask_of(held))
            self._combo_ids[held] = combo
        return combo

    def _mask_of(self, held: tuple[Grant, ...]) -> int:
        mask = 0
        for role, _group in held:
            mask |= self.role_masks.get(role, 0)
        return mask

    def _add_grant(self, user: int, space: int, grant: Grant) -> None:
        members = self._members.setdefault(space, {})
        held = self._combos[members.get(user, 0)]
        members[user] = self._combo((*held, grant))

    def _regroup(self, user: int, space: int) -> None:
        """The user's grant set in the space, from their own role there and their
        current groups' roles."""
        members = self._members.setdefault(space, {})
        held = [grant for grant in self._combos[members.get(user, 0)] if grant[1] is None]
        for group_id in self.user_groups.get(user, ()):
            role = self.groups[group_id].space_roles.get(space)
            if role is not None:
                held.append((role, group_id))
        if held:
            members[user] = self._combo(tuple(held))
        else:
            members.pop(user, None)

    def _refresh_account_mask(self, user: int) -> None:
        mask = effective_account_mask(self.role_masks.get(self.account_roles[user], 0))
        for group_id in self.user_groups.get(user, ()):
            role = self.groups[group_id].account_role
            if role is not None:
                mask |= effective_account_mask(self.role_masks.get(role, 0))
        # Only non-zero masks: most users are Members (mask 0), and a denied check then
        # falls back to a small dict instead of a second random lookup in a large one.
        if mask:
            self._account_masks[user] = mask
        else:
            self._account_masks.pop(user, None)

    # -- for tests: the whole state, comparable ------------------------------------------

    def snapshot(self) -> dict[str, object]:
        """Everything decisions depend on, as plain comparable data (property tests
        compare an index kept by deltas with one built afresh)."""
        pairs = {
            (user, space): frozenset(self._combos[combo])
            for space, members in self._members.items()
            for user, combo in members.items()
            if combo
        }
        return {
            "roles": dict(self.roles),
            "user_ids": dict(self.user_ids),
            "space_ids": dict(self.space_ids),
            "account_roles": dict(self.account_roles),
            "account_masks": dict(self._account_masks),
            "user_groups": {u: frozenset(g) for u, g in self.user_groups.items() if g},
            "pairs": pairs,
            "pair_masks": {key: self._mask_of(tuple(held)) for key, held in pairs.items()},
        }
