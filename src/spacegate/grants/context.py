"""Who is calling, and what they may do: the frozen context a guard hands an endpoint."""

from __future__ import annotations

from dataclasses import dataclass

from spacegate.authz import AccountIndex, Permission
from spacegate.authz.masks import BIT, SPACE_LEVEL_MASK


@dataclass(frozen=True, slots=True)
class Actor:
    """Who a change is attributed to in the audit log, and where it came from: `person`
    (a signed-in user), `sso` (group sync at a single sign-on) or `scim` (a SCIM client,
    named by `email`: "scim:<token name>")."""

    account_id: int
    email: str
    client_address: str | None = None
    source: str = "person"


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated user of one account, and the token they came with."""

    user_id: int
    account_id: int
    account_name: str
    email: str
    token_id: int
    token_kind: str
    client_address: str | None = None
    # An API token may be narrowed to fewer permissions or spaces (rule 8).
    token_mask: int | None = None
    token_space_ids: frozenset[int] | None = None

    def at(self, client_address: str | None) -> Caller:
        """The same caller, calling from `client_address` (for the audit)."""
        return Caller(
            self.user_id,
            self.account_id,
            self.account_name,
            self.email,
            self.token_id,
            self.token_kind,
            client_address,
            self.token_mask,
            self.token_space_ids,
        )

    @property
    def actor(self) -> Actor:
        return Actor(self.account_id, self.email, self.client_address)


@dataclass(frozen=True, slots=True)
class Access:
    """A caller plus the account's current grant index: answers "may they?" with no I/O."""

    caller: Caller
    index: AccountIndex

    def mask(self, space_id: int | None = None) -> int:
        user = self.caller.user_id
        mask = (
            self.index.account_mask(user)
            if space_id is None
            else self.index.space_mask(user, space_id)
        )
        if self.caller.token_mask is not None:
            mask &= self.caller.token_mask
        if (
            space_id is not None
            and self.caller.token_space_ids is not None
            and space_id not in self.caller.token_space_ids
        ):
            return 0
        return mask

    def has(self, permission: Permission, space_id: int | None = None) -> bool:
        return bool(self.mask(space_id) & BIT[permission])

    def visible_space_ids(self) -> frozenset[int] | None:
        """The spaces the caller sees (rule 3), narrowed by the token; None when they see
        every space of the account."""
        seen = self.index.spaces_seen_by(self.caller.user_id)
        narrowed = self.caller.token_space_ids
        if self.caller.token_mask is not None and not self.caller.token_mask & SPACE_LEVEL_MASK:
            return frozenset()
        if seen is None:
            return narrowed
        # A token narrowed to some permissions sees a space only through those.
        return frozenset(space for space in seen if self.can_see_space(space))

    def can_see_space(self, space_id: int) -> bool:
        """Rule 3: the caller holds a space permission there (account-level ones, such as
        ACCESS_ADMINISTRATION, say nothing about a space)."""
        return bool(self.mask(space_id) & SPACE_LEVEL_MASK)
