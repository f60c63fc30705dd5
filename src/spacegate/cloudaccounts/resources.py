"""What cloud accounts and Kubernetes compute services have in common.

Both are named objects of an account that an Account Admin allows in chosen spaces,
that hold a sealed secret (credentials, a token), and that cannot be deleted while a live
environment uses them (environments, a domain above, answer the kind's `in_use` question:
see `spacegate.consult`). A `ResourceKind` tells how one of the two is stored and named
in messages and the audit; its methods are the steps the two share. What each
validates, stores and seals stays in `service.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from spacegate.audit import service as audit
from spacegate.cloudaccounts.models import CloudAccount, ComputeService, SpaceLink
from spacegate.consult import ask
from spacegate.db import utcnow
from spacegate.errors import Conflict, InvalidInput, NotFound
from spacegate.grants.context import Access
from spacegate.names import clean_name
from spacegate.spaces.models import Space
from spacegate.spaces.service import find_space

Resource = TypeVar("Resource", CloudAccount, ComputeService)


@dataclass(frozen=True)
class ResourceView(Generic[Resource]):
    """A cloud account or compute service, with the names of the spaces it is allowed in."""

    item: Resource
    spaces: list[str]


def resolve_spaces(session: Session, account_id: int, names: Iterable[str]) -> list[Space]:
    """The account's spaces with these names, once each. Raises InvalidInput for a name
    that is not a space of the account."""
    found: dict[int, Space] = {}
    for name in names:
        space = find_space(session, account_id, name)
        if space is None:
            raise InvalidInput(f"There is no space named '{name}' in this account.", field="spaces")
        found[space.id] = space
    return sorted(found.values(), key=lambda space: space.name_key)


@dataclass(frozen=True)
class ResourceKind(Generic[Resource]):
    """Cloud accounts or compute services: how they are stored and named. The methods
    raise the same errors with the same messages for both, with `noun` in them."""

    model: type[Resource]
    link: type[SpaceLink]  # the table of the spaces it is allowed in
    link_owner: InstrumentedAttribute[int]  # that table's column naming the resource
    noun: str  # in messages: "cloud account"
    audit_type: str  # the audit's target type and action prefix: "cloud_account"
    secret: str  # what the audit calls the secret: "credentials", "token"
    snapshot: Callable[[Resource, list[str]], dict[str, Any]]  # its audit before/after
    in_use: str  # the question asked before deleting one: which live environments use it

    # -- reading ---------------------------------------------------------------------------

    def find(self, session: Session, account_id: int, name: str) -> Resource | None:
        model = self.model
        return session.scalar(
            select(model).where(
                model.account_id == account_id, model.name_key == name.strip().lower()
            )
        )

    def get(self, session: Session, account_id: int, name: str) -> Resource:
        """Raises NotFound (404) for a name the account does not have."""
        found = self.find(session, account_id, name)
        if found is None:
            raise NotFound(f"There is no {self.noun} named '{name}'.")
        return found

    def of_account(self, session: Session, account_id: int) -> Sequence[Resource]:
        model = self.model
        return session.scalars(
            select(model).where(model.account_id == account_id).order_by(model.name_key)
        ).all()

    def in_space(self, session: Session, space: Space) -> list[Resource]:
        """The resources of this kind allowed in `space`."""
        model = self.model
        return list(
            session.scalars(
                select(model)
                .join(self.link, self.link_owner == model.id)
                .where(self.link.space_id == space.id)
                .order_by(model.name_key)
            )
        )

    def views(self, session: Session, items: Sequence[Resource]) -> list[ResourceView[Resource]]:
        names = self.space_names(session, items)
        return [ResourceView(item, names[item.id]) for item in items]

    def space_names(self, session: Session, items: Sequence[Resource]) -> dict[int, list[str]]:
        """The names of the spaces each of `items` is allowed in, by its id."""
        names: dict[int, list[str]] = {item.id: [] for item in items}
        if not items:
            return names
        rows = session.execute(
            select(self.link_owner, Space.name)
            .join(Space, Space.id == self.link.space_id)
            .where(self.link_owner.in_(list(names)))
            .order_by(Space.name_key)
        )
        for owner_id, name in rows:
            names[owner_id].append(name)
        return names

    # -- names and spaces ------------------------------------------------------------------

    def clean_name(self, name: str) -> str:
        return clean_name(name, self.noun)

    def ensure_free_name(
        self, session: Session, account_id: int, name: str, except_id: int | None = None
    ) -> None:
        """Raises Conflict (409) for a name another resource of this kind has."""
        existing = self.find(session, account_id, name)
        if existing is not None and existing.id != except_id:
            raise Conflict(f"A {self.noun} named '{existing.name}' already exists.", field="name")

    def rename(self, session: Session, item: Resource, new_name: str) -> None:
        new_name = self.clean_name(new_name)
        self.ensure_free_name(session, item.account_id, new_name, item.id)
        item.name, item.name_key = new_name, new_name.lower()

    def allow_in(self, session: Session, item: Resource, spaces: list[Space]) -> list[str]:
        """Make `spaces` the ones `item` is allowed in; their names."""
        session.execute(delete(self.link).where(self.link_owner == item.id))
        session.add_all(
            self.link(**{self.link_owner.key: item.id, "space_id": space.id}) for space in spaces
        )
        session.flush()
        return [space.name for space in spaces]

    # -- writing, each with its audit event ----------------------------------------------

    def _record(
        self,
        session: Session,
        access: Access,
        action: str,
        item: Resource,
        *,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        audit.record(
            session,
            access.caller.actor,
            f"{self.audit_type}.{action}",
            target_type=self.audit_type,
            target=item.name,
            before=before,
            after=after,
        )

    def add(
        self, session: Session, access: Access, item: Resource, spaces: list[Space]
    ) -> list[str]:
        """Store a new, validated `item` allowed in `spaces`; their names."""
        session.add(item)
        session.flush()
        space_names = self.allow_in(session, item, spaces)
        after = {**self.snapshot(item, space_names), self.secret: "set"}
        self._record(session, access, "create", item, after=after)
        return space_names

    def record_update(
        self,
        session: Session,
        access: Access,
        item: Resource,
        before: dict[str, Any],
        space_names: list[str],
    ) -> None:
        """Audit a change (`before`: the snapshot from before it), if there was one."""
        after = self.snapshot(item, space_names)
        if after != before:
            item.updated_at = utcnow()
            self._record(session, access, "update", item, before=before, after=after)
        session.flush()

    def record_rotation(
        self, session: Session, access: Access, item: Resource, **hints: str
    ) -> None:
        """Audit a new secret, which the caller has sealed and stored; never the secret,
        only that it changed (and `hints` such as which shape it has)."""
        session.flush()
        self._record(session, access, self.secret, item, after={self.secret: "changed", **hints})

    def delete(
        self, session: Session, access: Access, item: Resource, space_names: list[str]
    ) -> None:
        """Raises Conflict (409) while live environments use `item` (they answer
        `in_use`)."""
        using = ask(session, self.in_use, item)
        if using:
            raise Conflict(
                f"{self.noun.capitalize()} '{item.name}' is used by active environments "
                f"({', '.join(using)}); end them first.",
                details={"environments": using},
            )
        self._record(session, access, "delete", item, before=self.snapshot(item, space_names))
        session.delete(item)
        session.flush()
