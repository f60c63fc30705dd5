"""A tag's value in a space or on a blueprint, where its scope allows one."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from spacegate.audit import service as audit
from spacegate.blueprints.models import Blueprint
from spacegate.db import utcnow
from spacegate.errors import Conflict, NotFound
from spacegate.grants.context import Access
from spacegate.spaces.models import Space
from spacegate.tags.models import BlueprintTagValue, SpaceTagValue, TagDefinition
from spacegate.tags.rules import (
    Scope,
    allows,
    check_possible,
    clean_value,
    scope_refusal,
)
from spacegate.tags.service import get_tag, list_tags


@dataclass(frozen=True)
class ValueView:
    """A tag as seen at one level: its effective value there and where it comes from
    (`account` for the default, `space` or `blueprint`); "" is no value."""

    tag: TagDefinition
    value: str
    set_at: str


def space_values_of(session: Session, space_id: int) -> dict[int, str]:
    rows = session.execute(
        select(SpaceTagValue.tag_id, SpaceTagValue.value).where(SpaceTagValue.space_id == space_id)
    )
    return {tag_id: value for tag_id, value in rows}


def blueprint_values_of(session: Session, blueprint_id: int) -> dict[int, str]:
    rows = session.execute(
        select(BlueprintTagValue.tag_id, BlueprintTagValue.value).where(
            BlueprintTagValue.blueprint_id == blueprint_id
        )
    )
    return {tag_id: value for tag_id, value in rows}


def _view(
    tag: TagDefinition, space_values: dict[int, str], blueprint_values: dict[int, str] | None
) -> ValueView:
    if blueprint_values is not None and tag.id in blueprint_values:
        return ValueView(tag, blueprint_values[tag.id], Scope.BLUEPRINT.value)
    if tag.id in space_values:
        return ValueView(tag, space_values[tag.id], Scope.SPACE.value)
    return ValueView(tag, tag.value, Scope.ACCOUNT.value)


def space_tags(session: Session, space: Space) -> list[ValueView]:
    """The tags whose value may be set in a space, with their value there."""
    values = space_values_of(session, space.id)
    return [
        _view(tag, values, None)
        for tag in list_tags(session, space.account_id)
        if allows(tag.scope, Scope.SPACE)
    ]


def space_tag(session: Session, space: Space, name: str) -> ValueView:
    tag = get_tag(session, space.account_id, name)
    return _view(tag, space_values_of(session, space.id), None)


def _settable(session: Session, account_id: int, name: str, level: Scope, at: str) -> TagDefinition:
    tag = get_tag(session, account_id, name)
    if not allows(tag.scope, level):
        raise scope_refusal(tag, at)
    return tag


def set_space_tag(
    session: Session, access: Access, space: Space, name: str, value: str, *, create: bool
) -> ValueView:
    """Set the tag's value in the space. `create` (POST) refuses a tag that already has
    a value there (Conflict, 409); otherwise the value is replaced. Raises NotFound
    (404) for an unknown tag, InvalidInput (422) for a scope that does not allow space
    values or a value outside the possible values."""
    tag = _settable(session, space.account_id, name, Scope.SPACE, f"in space '{space.name}'")
    value = clean_value(value, f"tag '{tag.name}'")
    check_possible(tag, value)
    row = session.get(SpaceTagValue, (space.id, tag.id))
    if row is not None and create:
        raise Conflict(
            f"Tag '{tag.name}' already has a value in space '{space.name}'; change it with PUT."
        )
    before = {"space": space.name, "value": row.value} if row is not None else None
    if row is None:
        row = SpaceTagValue(space_id=space.id, tag_id=tag.id, value=value)
        session.add(row)
    row.value = value
    row.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        access.caller.actor,
        "tag.set_space_value",
        target_type="tag",
        target=tag.name,
        before=before,
        after={"space": space.name, "value": value},
    )
    return ValueView(tag, value, Scope.SPACE.value)


def unset_space_tag(session: Session, access: Access, space: Space, name: str) -> None:
    """The space goes back to the default. Raises NotFound (404) for no such tag, or
    when the space has no value of its own."""
    tag = get_tag(session, space.account_id, name)
    row = session.get(SpaceTagValue, (space.id, tag.id))
    if row is None:
        raise NotFound(f"Tag '{tag.name}' has no value of its own in space '{space.name}'.")
    audit.record(
        session,
        access.caller.actor,
        "tag.unset_space_value",
        target_type="tag",
        target=tag.name,
        before={"space": space.name, "value": row.value},
    )
    session.delete(row)
    session.flush()


def blueprint_tags(session: Session, space: Space, blueprint: Blueprint) -> list[ValueView]:
    """The tags whose value may be set on a blueprint, with their value for it."""
    space_values = space_values_of(session, space.id)
    values = blueprint_values_of(session, blueprint.id)
    return [
        _view(tag, space_values, values)
        for tag in list_tags(session, space.account_id)
        if allows(tag.scope, Scope.BLUEPRINT)
    ]


def blueprint_tag(session: Session, space: Space, blueprint: Blueprint, name: str) -> ValueView:
    tag = get_tag(session, space.account_id, name)
    return _view(
        tag, space_values_of(session, space.id), blueprint_values_of(session, blueprint.id)
    )


def _blueprint_label(space: Space, repository_name: str, blueprint: Blueprint) -> dict[str, str]:
    return {"space": space.name, "repository": repository_name, "blueprint": blueprint.name}


def set_blueprint_tag(
    session: Session,
    access: Access,
    space: Space,
    repository_name: str,
    blueprint: Blueprint,
    name: str,
    value: str,
    *,
    create: bool,
) -> ValueView:
    """As `set_space_tag`, for a blueprint of the space: raises NotFound (404),
    InvalidInput (422) or Conflict (409) as it does."""
    tag = _settable(
        session,
        space.account_id,
        name,
        Scope.BLUEPRINT,
        f"on blueprint '{blueprint.name}'",
    )
    value = clean_value(value, f"tag '{tag.name}'")
    check_possible(tag, value)
    row = session.get(BlueprintTagValue, (blueprint.id, tag.id))
    if row is not None and create:
        raise Conflict(
            f"Tag '{tag.name}' already has a value on blueprint '{blueprint.name}'; "
            "change it with PUT."
        )
    label = _blueprint_label(space, repository_name, blueprint)
    before = {**label, "value": row.value} if row is not None else None
    if row is None:
        row = BlueprintTagValue(blueprint_id=blueprint.id, tag_id=tag.id, value=value)
        session.add(row)
    row.value = value
    row.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        access.caller.actor,
        "tag.set_blueprint_value",
        target_type="tag",
        target=tag.name,
        before=before,
        after={**label, "value": value},
    )
    return ValueView(tag, value, Scope.BLUEPRINT.value)


def unset_blueprint_tag(
    session: Session,
    access: Access,
    space: Space,
    repository_name: str,
    blueprint: Blueprint,
    name: str,
) -> None:
    """The blueprint goes back to the space's value (or the default). Raises NotFound
    (404) for no such tag, or when the blueprint has no value of its own."""
    tag = get_tag(session, space.account_id, name)
    row = session.get(BlueprintTagValue, (blueprint.id, tag.id))
    if row is None:
        raise NotFound(f"Tag '{tag.name}' has no value of its own on blueprint '{blueprint.name}'.")
    audit.record(
        session,
        access.caller.actor,
        "tag.unset_blueprint_value",
        target_type="tag",
        target=tag.name,
        before={**_blueprint_label(space, repository_name, blueprint), "value": row.value},
    )
    session.delete(row)
    session.flush()
