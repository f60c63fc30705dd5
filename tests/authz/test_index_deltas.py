"""The index kept current by deltas agrees with one built afresh, after every step of a
random sequence of 10,000 changes: users (roles, status, spaces, groups), spaces
(created, renamed, deleted), custom roles (created, edited, deleted) and groups."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

import pytest

from spacegate.authz import (
    CATALOG,
    AccountGrants,
    AccountIndex,
    GroupGrant,
    Level,
    Permission,
    RoleDef,
    UserGrants,
    explain,
)
from spacegate.authz.explain import decide

SPACE_PERMISSIONS = [spec.id for spec in CATALOG if spec.level is Level.SPACE]
ALL_PERMISSIONS = list(Permission)
BUILTIN_SPACE = ["Space Admin", "Space Developer", "Space Member"]
BUILTIN_ACCOUNT = ["Admin", "Member"]


@dataclass
class Model:
    """The account as plain data: what the database would hold."""

    roles: dict[int, RoleDef] = field(default_factory=dict)
    users: dict[int, UserGrants] = field(default_factory=dict)
    spaces: dict[int, str] = field(default_factory=dict)
    groups: dict[int, GroupGrant] = field(default_factory=dict)

    def grants(self) -> AccountGrants:
        active = {uid: u for uid, u in self.users.items() if u.active}
        return AccountGrants(
            custom_roles=list(self.roles.values()),
            account_roles={uid: u.account_role for uid, u in active.items()},
            space_roles=[
                (uid, space, role)
                for uid, u in self.users.items()
                for space, role in u.space_roles.items()
            ],
            user_ids={u.email.lower(): uid for uid, u in self.users.items()},
            space_ids={name.lower(): sid for sid, name in self.spaces.items()},
            groups=list(self.groups.values()),
            emails={uid: u.email for uid, u in self.users.items()},
            space_names=dict(self.spaces),
        )

    def space_roles(self) -> list[object]:
        return BUILTIN_SPACE + [k for k, r in self.roles.items() if r.level is Level.SPACE]

    def account_roles(self) -> list[object]:
        return BUILTIN_ACCOUNT + [k for k, r in self.roles.items() if r.level is Level.ACCOUNT]


def _random_role(rng: random.Random, key: int) -> RoleDef:
    level = rng.choice([Level.ACCOUNT, Level.SPACE])
    pool = ALL_PERMISSIONS if level is Level.ACCOUNT else SPACE_PERMISSIONS
    chosen = frozenset(rng.sample(pool, rng.randint(0, 4)))
    return RoleDef(key, f"Role {key}.{rng.randint(0, 9)}", level, chosen)


def _sync_groups(model: Model, uid: int) -> None:
    """A user's group ids and the groups' member lists stay two views of one table."""
    user = model.users[uid]
    for gid, group in model.groups.items():
        inside = gid in user.groups
        if inside != (uid in group.members):
            members = group.members | {uid} if inside else group.members - {uid}
            model.groups[gid] = replace(group, members=frozenset(members))


class Run:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.model = Model()
        self.next_id = 1000
        for _ in range(3):
            key = self._id()
            self.model.roles[key] = _random_role(self.rng, key)
        for number in range(1, 7):
            self.model.spaces[self._id()] = f"space-{number}"
        for number in range(1, 4):
            gid = self._id()
            self.model.groups[gid] = GroupGrant(gid, f"group-{number}")
        for number in range(1, 25):
            uid = self._id()
            self.model.users[uid] = UserGrants(f"user{number}@Example.com", True, "Member")
        self.index = AccountIndex(self.model.grants())

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def step(self) -> str:
        rng, model = self.rng, self.model
        kind = rng.choice(
            ["user"] * 6 + ["group"] * 2 + ["space", "role", "user-new", "group-members"]
        )
        if kind in ("user", "user-new"):
            uid = self._id() if kind == "user-new" else rng.choice(list(model.users))
            old = model.users.get(uid)
            spaces = {
                s: rng.choice(model.space_roles())
                for s in rng.sample(list(model.spaces), rng.randint(0, len(model.spaces)))
            }
            groups = frozenset(rng.sample(list(model.groups), rng.randint(0, len(model.groups))))
            email = old.email if old and rng.random() < 0.8 else f"u{uid}.{rng.randint(0, 9)}@x.org"
            if old is not None and rng.random() < 0.05:
                del model.users[uid]
                for gid, group in model.groups.items():
                    model.groups[gid] = replace(group, members=group.members - {uid})
                self.index.set_user(uid, None)
                return f"remove user {uid}"
            model.users[uid] = UserGrants(
                email, rng.random() < 0.85, rng.choice(model.account_roles()), spaces, groups
            )
            _sync_groups(model, uid)
            self.index.set_user(uid, model.users[uid])
            return f"set user {uid}"
        if kind == "space":
            sid = rng.choice([*model.spaces, self._id()])
            if sid in model.spaces and rng.random() < 0.4:
                del model.spaces[sid]
                for uid, user in model.users.items():  # memberships cascade
                    roles = {s: r for s, r in user.space_roles.items() if s != sid}
                    model.users[uid] = replace(user, space_roles=roles)
                for gid, group in model.groups.items():
                    roles = {s: r for s, r in group.space_roles.items() if s != sid}
                    model.groups[gid] = replace(group, space_roles=roles)
                self.index.set_space(sid, None)
                return f"delete space {sid}"
            model.spaces[sid] = f"space-{sid}-{rng.randint(0, 99)}"
            self.index.set_space(sid, model.spaces[sid])
            return f"set space {sid}"
        if kind == "role":
            key = rng.choice([*model.roles, self._id()])
            in_use = any(
                u.account_role == key or key in u.space_roles.values() for u in model.users.values()
            ) or any(
                g.account_role == key or key in g.space_roles.values()
                for g in model.groups.values()
            )
            if key in model.roles and not in_use and rng.random() < 0.3:
                del model.roles[key]
                self.index.set_role(key, None)
                return f"delete role {key}"
            old_role = model.roles.get(key)
            role = _random_role(rng, key)
            if old_role is not None:  # an edit keeps the level (as the service does)
                pool = ALL_PERMISSIONS if old_role.level is Level.ACCOUNT else SPACE_PERMISSIONS
                role = replace(
                    role,
                    level=old_role.level,
                    permissions=frozenset(rng.sample(pool, rng.randint(0, 4))),
                )
            model.roles[key] = role
            self.index.set_role(key, role)
            return f"set role {key}"
        if kind == "group-members":
            gid = rng.choice(list(model.groups))
            members = frozenset(rng.sample(list(model.users), rng.randint(0, 6)))
            group = replace(model.groups[gid], members=members)
            model.groups[gid] = group
            for uid, user in model.users.items():
                model.users[uid] = replace(
                    user, groups=user.groups | {gid} if uid in members else user.groups - {gid}
                )
            self.index.set_group(group)
            return f"members of group {gid}"
        gid = rng.choice([*model.groups, self._id()])
        if gid in model.groups and rng.random() < 0.2:
            del model.groups[gid]
            for uid, user in model.users.items():
                model.users[uid] = replace(user, groups=user.groups - {gid})
            self.index.set_group(gid)
            return f"delete group {gid}"
        old_group = model.groups.get(gid)
        account_role = rng.choice([None, *model.account_roles()])
        spaces = {
            s: rng.choice(model.space_roles())
            for s in rng.sample(list(model.spaces), rng.randint(0, len(model.spaces)))
        }
        members = old_group.members if old_group else frozenset()
        group = GroupGrant(gid, f"group-{gid}-{rng.randint(0, 9)}", members, account_role, spaces)
        model.groups[gid] = group
        self.index.set_group(group)
        return f"set group {gid}"


@pytest.mark.parametrize("seed", [1, 2])
def test_deltas_agree_with_a_fresh_build_after_every_step(seed: int) -> None:
    run = Run(seed)
    steps = 5_000  # two seeds: 10,000 changes in all
    for number in range(steps):
        what = run.step()
        fresh = AccountIndex(run.model.grants())
        assert run.index.snapshot() == fresh.snapshot(), f"seed {seed}, step {number}: {what}"


def test_decisions_and_explanations_agree_after_deltas() -> None:
    """Beyond equal state: every decision and its explanation are the same."""
    run = Run(3)
    for _ in range(300):
        run.step()
    fresh = AccountIndex(run.model.grants())
    for uid in run.model.users:
        for space in [None, *run.model.spaces]:
            for permission in ALL_PERMISSIONS:
                kept = explain(run.index, uid, permission, space)
                built = explain(fresh, uid, permission, space)
                assert kept.allowed == built.allowed
                assert set(kept.chain) == set(built.chain)
                assert decide(run.index, uid, permission, space)[0] is kept.allowed
