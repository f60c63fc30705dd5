"""Account tags: their definitions and the account's tag limit. Their values in spaces
and on blueprints are `values.py`, how an environment's tags resolve `resolution.py`,
and what a tag may be (scopes, limits, checks) `rules.py`.

A definition has a default `value` and a `scope`, the lowest level at which its value
may be set (Torque's semantics):

| scope | the value may be set |
|---|---|
| `account` | only in the definition (its default) |
| `space` | in the definition and in a space |
| `blueprint` | ... and on a blueprint |
| `environment` | ... and when launching an environment |

An environment's tags are the system tags (set by spacegate, their names reserved) plus
every definition's value: its default, overridden by the space's value, then the
blueprint's, then the one given at launch, each only where the scope allows. An empty
default means "no default": such a tag applies only where some level sets a value.
Values outside a definition's `possible_values` (when it has any) are refused, with a
sentence naming the allowed ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from spacegate.accounts.models import Account
from spacegate.audit import service as audit
from spacegate.blueprints.models import Blueprint, Repository
from spacegate.db import utcnow
from spacegate.errors import Conflict, InvalidInput, NotFound
from spacegate.grants.context import Access
from spacegate.spaces.models import Space
from spacegate.tags.models import BlueprintTagValue, SpaceTagValue, TagDefinition, TagSettings
from spacegate.tags.rules import (
    DEFAULT_MAX_TAGS,
    MAX_TAGS_LIMIT,
    Scope,
    TagLimitReached,
    allows,
    clean_description,
    clean_possible_values,
    clean_scope,
    clean_tag_name,
    clean_value,
)


def list_tags(session: Session, account_id: int) -> list[TagDefinition]:
    return list(
        session.scalars(
            select(TagDefinition)
            .where(TagDefinition.account_id == account_id)
            .order_by(TagDefinition.name_key)
        )
    )


def _find_tag(session: Session, account_id: int, name: str) -> TagDefinition | None:
    return session.scalar(
        select(TagDefinition).where(
            TagDefinition.account_id == account_id,
            TagDefinition.name_key == name.strip().lower(),
        )
    )


def get_tag(session: Session, account_id: int, name: str) -> TagDefinition:
    """Raises NotFound (404) for a name the account has no tag by."""
    tag = _find_tag(session, account_id, name)
    if tag is None:
        raise NotFound(f"There is no tag named '{name}'.")
    return tag


def _snapshot(tag: TagDefinition) -> dict[str, Any]:
    return {
        "name": tag.name,
        "value": tag.value,
        "scope": tag.scope,
        "description": tag.description,
        "possible_values": list(tag.possible_values),
    }


def tag_limit(session: Session, account_id: int) -> int:
    settings = session.get(TagSettings, account_id)
    return settings.max_tags if settings is not None else DEFAULT_MAX_TAGS


def count_tags(session: Session, account_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(TagDefinition)
            .where(TagDefinition.account_id == account_id)
        )
        or 0
    )


def _lock_account(session: Session, account_id: int) -> None:
    """Serialise the account's tag writes (PostgreSQL row lock; SQLite's write
    transactions are serial already), so that two creations cannot both pass the
    limit check."""
    session.execute(select(Account.id).where(Account.id == account_id).with_for_update())


def _check_default(name: str, value: str, possible_values: list[str]) -> None:
    if value and possible_values and value not in possible_values:
        choices = ", ".join(f"'{v}'" for v in possible_values)
        raise InvalidInput(
            f"The default value '{value}' of tag '{name}' is not among its possible values: "
            f"{choices}.",
            field="value",
        )


def create_tag(
    session: Session,
    access: Access,
    *,
    name: str,
    value: str,
    scope: str,
    description: str,
    possible_values: list[str],
) -> TagDefinition:
    """Define a tag. Raises InvalidInput (422) for a bad field, Conflict (409) for a
    name in use, TagLimitReached (409) when the account has its limit of tags."""
    account_id = access.caller.account_id
    name = clean_tag_name(name)
    chosen_scope = clean_scope(scope)
    possible = clean_possible_values(possible_values, name)
    default = clean_value(value, f"tag '{name}'", allow_empty=True)
    _check_default(name, default, possible)
    _lock_account(session, account_id)
    existing = _find_tag(session, account_id, name)
    if existing is not None:
        raise Conflict(f"The account already has a tag named '{existing.name}'.", field="name")
    limit = tag_limit(session, account_id)
    if count_tags(session, account_id) >= limit:
        raise TagLimitReached(
            f"The account has reached its limit of {limit} tags; delete a tag or raise the "
            "limit with PUT /api/settings/tags_limit?value=N."
        )
    tag = TagDefinition(
        account_id=account_id,
        name=name,
        name_key=name.lower(),
        value=default,
        scope=chosen_scope.value,
        description=clean_description(description),
        possible_values=possible,
    )
    session.add(tag)
    session.flush()
    audit.record(
        session,
        access.caller.actor,
        "tag.create",
        target_type="tag",
        target=tag.name,
        after=_snapshot(tag),
    )
    return tag


def _stranded(session: Session, tag: TagDefinition, scope: Scope, possible: list[str]) -> list[str]:
    """The values set in spaces and on blueprints that a tag of `scope` with these
    possible values would no longer allow, as phrases for a message."""
    found: list[str] = []
    space_rows = session.execute(
        select(Space.name, SpaceTagValue.value)
        .join(Space, Space.id == SpaceTagValue.space_id)
        .where(SpaceTagValue.tag_id == tag.id)
        .order_by(Space.name_key)
    )
    for space_name, value in space_rows:
        if not allows(scope, Scope.SPACE) or (possible and value not in possible):
            found.append(f"space '{space_name}' ('{value}')")
    blueprint_rows = session.execute(
        select(Space.name, Repository.name, Blueprint.name, BlueprintTagValue.value)
        .join(Blueprint, Blueprint.id == BlueprintTagValue.blueprint_id)
        .join(Repository, Repository.id == Blueprint.repository_id)
        .join(Space, Space.id == Repository.space_id)
        .where(BlueprintTagValue.tag_id == tag.id)
        .order_by(Space.name_key, Repository.name_key, Blueprint.name_key)
    )
    for space_name, repository_name, blueprint_name, value in blueprint_rows:
        if not allows(scope, Scope.BLUEPRINT) or (possible and value not in possible):
            found.append(
                f"blueprint '{repository_name}/{blueprint_name}' in space '{space_name}' "
                f"('{value}')"
            )
    return found


def update_tag(
    session: Session,
    access: Access,
    name: str,
    *,
    new_name: str | None,
    value: str | None,
    scope: str | None,
    description: str | None,
    possible_values: list[str] | None,
) -> TagDefinition:
    """Change what is given. A change that would leave values set in spaces or on
    blueprints outside the new scope or possible values is refused (Conflict, 409,
    naming them): change or remove those values first. Also raises NotFound (404) for no
    such tag, InvalidInput (422) for a bad field, Conflict (409) for a name taken."""
    tag = get_tag(session, access.caller.account_id, name)
    before = _snapshot(tag)
    if new_name is not None:
        new_name = clean_tag_name(new_name)
        existing = _find_tag(session, tag.account_id, new_name)
        if existing is not None and existing.id != tag.id:
            raise Conflict(f"The account already has a tag named '{existing.name}'.", field="name")
    label = new_name or tag.name
    new_scope = clean_scope(scope) if scope is not None else Scope(tag.scope)
    possible = (
        clean_possible_values(possible_values, label)
        if possible_values is not None
        else list(tag.possible_values)
    )
    default = (
        clean_value(value, f"tag '{label}'", allow_empty=True) if value is not None else tag.value
    )
    _check_default(label, default, possible)
    stranded = _stranded(session, tag, new_scope, possible)
    if stranded:
        shown = ", ".join(stranded[:5]) + (
            f" and {len(stranded) - 5} more" if len(stranded) > 5 else ""
        )
        raise Conflict(
            f"Tag '{tag.name}' has values that this change would no longer allow: {shown}. "
            "Change or remove them first."
        )
    if new_name is not None:
        tag.name, tag.name_key = new_name, new_name.lower()
    tag.scope = new_scope.value
    tag.possible_values = possible
    tag.value = default
    if description is not None:
        tag.description = clean_description(description)
    after = _snapshot(tag)
    if after != before:
        tag.updated_at = utcnow()
        session.flush()
        audit.record(
            session,
            access.caller.actor,
            "tag.update",
            target_type="tag",
            target=tag.name,
            before=before,
            after=after,
        )
    return tag


def delete_tag(session: Session, access: Access, name: str) -> None:
    """Removes the definition with its values in every space and on every blueprint.
    Raises NotFound (404) for no such tag."""
    tag = get_tag(session, access.caller.account_id, name)
    space_values = session.scalar(
        select(func.count()).select_from(SpaceTagValue).where(SpaceTagValue.tag_id == tag.id)
    )
    blueprint_values = session.scalar(
        select(func.count())
        .select_from(BlueprintTagValue)
        .where(BlueprintTagValue.tag_id == tag.id)
    )
    audit.record(
        session,
        access.caller.actor,
        "tag.delete",
        target_type="tag",
        target=tag.name,
        before={
            **_snapshot(tag),
            "space_values": space_values or 0,
            "blueprint_values": blueprint_values or 0,
        },
    )
    session.delete(tag)  # the values go with it (ON DELETE CASCADE)
    session.flush()


@dataclass(frozen=True)
class LimitView:
    limit: int
    used: int


def get_limit(session: Session, account_id: int) -> LimitView:
    return LimitView(tag_limit(session, account_id), count_tags(session, account_id))


def set_limit(session: Session, access: Access, value: int) -> LimitView:
    """Set the account's maximum number of tag definitions (1..MAX_TAGS_LIMIT). Raises
    InvalidInput (422) out of range, Conflict (409) below the number already defined."""
    if not 1 <= value <= MAX_TAGS_LIMIT:
        raise InvalidInput(f"The tag limit must be between 1 and {MAX_TAGS_LIMIT}.")
    account_id = access.caller.account_id
    _lock_account(session, account_id)
    used = count_tags(session, account_id)
    if value < used:
        raise Conflict(
            f"The account has {used} tags; the limit cannot be set below that. Delete tags first."
        )
    settings = session.get(TagSettings, account_id)
    before = settings.max_tags if settings is not None else DEFAULT_MAX_TAGS
    if settings is None:
        settings = TagSettings(account_id=account_id, max_tags=value)
        session.add(settings)
    settings.max_tags = value
    settings.updated_at = utcnow()
    session.flush()
    if before != value:
        audit.record(
            session,
            access.caller.actor,
            "tag.limit",
            target_type="account",
            target=access.caller.account_name,
            before={"max_tags": before},
            after={"max_tags": value},
        )
    return LimitView(value, used)
