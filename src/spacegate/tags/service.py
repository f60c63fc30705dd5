"""Account tags: their definitions, their values in spaces and on blueprints, and how an
environment's tags resolve.

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

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
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


class Scope(StrEnum):
    """Where a tag's value may be set, from the highest level to the lowest."""

    ACCOUNT = "account"
    SPACE = "space"
    BLUEPRINT = "blueprint"
    ENVIRONMENT = "environment"


_DEPTH = {scope: depth for depth, scope in enumerate(Scope)}

# System tags: spacegate sets them on every environment; no definition may use their
# names, nor any other name starting with the reserved prefix.
SYSTEM_TAG_ACCOUNT = "spacegate-account"
SYSTEM_TAG_SPACE = "spacegate-space"
SYSTEM_TAG_OWNER = "spacegate-owner-email"
SYSTEM_TAG_ENVIRONMENT = "spacegate-environment-id"
SYSTEM_TAG_BLUEPRINT = "spacegate-blueprint"
SYSTEM_TAG_NAMES = (
    SYSTEM_TAG_ACCOUNT,
    SYSTEM_TAG_SPACE,
    SYSTEM_TAG_OWNER,
    SYSTEM_TAG_ENVIRONMENT,
    SYSTEM_TAG_BLUEPRINT,
)
RESERVED_PREFIX = "spacegate-"

# AWS allows 50 tags on a resource and spacegate adds its 5 system tags: 45 definitions
# fit every resource. The limit is per account and settable up to MAX_TAGS_LIMIT.
DEFAULT_MAX_TAGS = 45
MAX_TAGS_LIMIT = 1000
MAX_NAME = 128
MAX_VALUE = 256
MAX_POSSIBLE_VALUES = 100
MAX_DESCRIPTION = 2000
_NAME_PUNCTUATION = frozenset(" _.:=+-@")


class TagLimitReached(Conflict):
    name = "TagLimitReached"


def allows(scope: str, level: Scope) -> bool:
    """Whether a tag of `scope` may have its value set at `level`."""
    return _DEPTH[level] <= _DEPTH[Scope(scope)]


_WHERE = {
    Scope.ACCOUNT: "only in its definition (the account default)",
    Scope.SPACE: "only in its definition and in spaces",
    Scope.BLUEPRINT: "only in its definition, in spaces and on blueprints",
    Scope.ENVIRONMENT: "in its definition, in spaces, on blueprints and at launch",
}


def _scope_refusal(tag: TagDefinition, at: str) -> InvalidInput:
    return InvalidInput(
        f"Tag '{tag.name}' has scope '{tag.scope}': its value can be set "
        f"{_WHERE[Scope(tag.scope)]}, not {at}."
    )


# -- cleaning input ----------------------------------------------------------------------


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch).startswith("C") for ch in text)


def is_reserved(name: str) -> bool:
    return name.strip().lower().startswith(RESERVED_PREFIX)


def clean_tag_name(value: str) -> str:
    """1..128 letters, digits, spaces and `_ . : = + - @`; not a reserved name."""
    name = value.strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidInput(f"A tag name must be 1 to {MAX_NAME} characters long.", field="name")
    if any(not (ch.isalnum() or ch in _NAME_PUNCTUATION) for ch in name):
        raise InvalidInput(
            f"The tag name '{name}' may contain only letters, digits, spaces and _ . : = + - @.",
            field="name",
        )
    if is_reserved(name):
        raise InvalidInput(
            f"Tag names starting with '{RESERVED_PREFIX}' are reserved for spacegate's "
            f"system tags ({', '.join(SYSTEM_TAG_NAMES)}).",
            field="name",
        )
    return name


def _clean_value(value: str, what: str, *, allow_empty: bool = False, field: str = "value") -> str:
    value = value.strip()
    if not value and not allow_empty:
        raise InvalidInput(f"The value of {what} must not be empty.", field=field)
    if len(value) > MAX_VALUE:
        raise InvalidInput(
            f"The value of {what} must be at most {MAX_VALUE} characters long.", field=field
        )
    if _has_control(value):
        raise InvalidInput(f"The value of {what} must not contain control characters.", field=field)
    return value


def _clean_scope(scope: str) -> Scope:
    try:
        return Scope(scope.strip().lower())
    except ValueError:
        choices = ", ".join(s.value for s in Scope)
        raise InvalidInput(
            f"'{scope}' is not a tag scope; use one of: {choices}.", field="scope"
        ) from None


def _clean_possible_values(values: Iterable[str], name: str) -> list[str]:
    cleaned: list[str] = []
    for raw in values:
        value = _clean_value(raw, f"a possible value of tag '{name}'", field="possible_values")
        if value not in cleaned:
            cleaned.append(value)
    if len(cleaned) > MAX_POSSIBLE_VALUES:
        raise InvalidInput(
            f"A tag may have at most {MAX_POSSIBLE_VALUES} possible values.",
            field="possible_values",
        )
    return cleaned


def _clean_description(description: str) -> str:
    description = description.strip()
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(
            f"A description must be at most {MAX_DESCRIPTION} characters long.",
            field="description",
        )
    return description


def check_possible(tag: TagDefinition, value: str) -> None:
    """Raises InvalidInput (422) with a sentence for a value outside the tag's
    possible values (a tag without possible values takes any value)."""
    if tag.possible_values and value not in tag.possible_values:
        choices = ", ".join(f"'{v}'" for v in tag.possible_values)
        raise InvalidInput(
            f"'{value}' is not a possible value of tag '{tag.name}'; choose one of: {choices}."
        )


# -- definitions -----------------------------------------------------------------------


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
    clean_scope = _clean_scope(scope)
    possible = _clean_possible_values(possible_values, name)
    default = _clean_value(value, f"tag '{name}'", allow_empty=True)
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
        scope=clean_scope.value,
        description=_clean_description(description),
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
    naming them): change or remove those values first."""
    tag = get_tag(session, access.caller.account_id, name)
    before = _snapshot(tag)
    if new_name is not None:
        new_name = clean_tag_name(new_name)
        existing = _find_tag(session, tag.account_id, new_name)
        if existing is not None and existing.id != tag.id:
            raise Conflict(f"The account already has a tag named '{existing.name}'.", field="name")
    label = new_name or tag.name
    new_scope = _clean_scope(scope) if scope is not None else Scope(tag.scope)
    possible = (
        _clean_possible_values(possible_values, label)
        if possible_values is not None
        else list(tag.possible_values)
    )
    default = (
        _clean_value(value, f"tag '{label}'", allow_empty=True) if value is not None else tag.value
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
        tag.description = _clean_description(description)
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
    """Removes the definition with its values in every space and on every blueprint."""
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


# -- values in spaces and on blueprints ---------------------------------------------------


@dataclass(frozen=True)
class ValueView:
    """A tag as seen at one level: its effective value there and where it comes from
    (`account` for the default, `space` or `blueprint`); "" is no value."""

    tag: TagDefinition
    value: str
    set_at: str


def _space_values(session: Session, space_id: int) -> dict[int, str]:
    rows = session.execute(
        select(SpaceTagValue.tag_id, SpaceTagValue.value).where(SpaceTagValue.space_id == space_id)
    )
    return {tag_id: value for tag_id, value in rows}


def _blueprint_values(session: Session, blueprint_id: int) -> dict[int, str]:
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
    values = _space_values(session, space.id)
    return [
        _view(tag, values, None)
        for tag in list_tags(session, space.account_id)
        if allows(tag.scope, Scope.SPACE)
    ]


def space_tag(session: Session, space: Space, name: str) -> ValueView:
    tag = get_tag(session, space.account_id, name)
    return _view(tag, _space_values(session, space.id), None)


def _settable(session: Session, account_id: int, name: str, level: Scope, at: str) -> TagDefinition:
    tag = get_tag(session, account_id, name)
    if not allows(tag.scope, level):
        raise _scope_refusal(tag, at)
    return tag


def set_space_tag(
    session: Session, access: Access, space: Space, name: str, value: str, *, create: bool
) -> ValueView:
    """Set the tag's value in the space. `create` (POST) refuses a tag that already has
    a value there (Conflict, 409); otherwise the value is replaced. Raises NotFound
    (404) for an unknown tag, InvalidInput (422) for a scope that does not allow space
    values or a value outside the possible values."""
    tag = _settable(session, space.account_id, name, Scope.SPACE, f"in space '{space.name}'")
    value = _clean_value(value, f"tag '{tag.name}'")
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
    """The space goes back to the default. NotFound (404) when it has no value of its own."""
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
    space_values = _space_values(session, space.id)
    values = _blueprint_values(session, blueprint.id)
    return [
        _view(tag, space_values, values)
        for tag in list_tags(session, space.account_id)
        if allows(tag.scope, Scope.BLUEPRINT)
    ]


def blueprint_tag(session: Session, space: Space, blueprint: Blueprint, name: str) -> ValueView:
    tag = get_tag(session, space.account_id, name)
    return _view(tag, _space_values(session, space.id), _blueprint_values(session, blueprint.id))


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
    """As `set_space_tag`, for a blueprint of the space."""
    tag = _settable(
        session,
        space.account_id,
        name,
        Scope.BLUEPRINT,
        f"on blueprint '{blueprint.name}'",
    )
    value = _clean_value(value, f"tag '{tag.name}'")
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


# -- an environment's tags ----------------------------------------------------------------


def resolve_environment_tags(
    session: Session,
    *,
    account_id: int,
    space_id: int,
    blueprint_id: int | None,
    launch_values: dict[str, str],
    system: dict[str, str],
) -> dict[str, str]:
    """The tags of an environment launched in `space_id` from `blueprint_id` (None: no
    blueprint values apply).

    The answer holds the `system` tags as given (use the SYSTEM_TAG_* names: account,
    space, owner email, environment id, blueprint), then every definition with a value:
    its default, overridden by the space's value, then the blueprint's, then
    `launch_values`, each only where the tag's scope allows. A definition without a
    default and without a value set at any level is left out. Names in `launch_values`
    are matched case-insensitively; the answer uses the definitions' own spelling.

    Raises InvalidInput (422), with a sentence per problem, for a launch value naming a
    system tag or an unknown tag, for a tag whose scope does not allow environment
    values, and for a value that is empty, too long or outside the possible values.
    """
    tags = list_tags(session, account_id)
    by_key = {tag.name_key: tag for tag in tags}
    launch: dict[int, str] = {}
    problems: list[str] = []
    for raw_name, raw_value in launch_values.items():
        key = raw_name.strip().lower()
        tag = by_key.get(key)
        try:
            if is_reserved(key) or key in (name.lower() for name in system):
                raise InvalidInput(f"'{raw_name}' is a system tag; spacegate sets its value.")
            if tag is None:
                raise InvalidInput(
                    f"There is no tag named '{raw_name}'; define it in the account's tags first."
                )
            if not allows(tag.scope, Scope.ENVIRONMENT):
                raise _scope_refusal(tag, "when launching an environment")
            value = _clean_value(str(raw_value), f"tag '{tag.name}'")
            check_possible(tag, value)
            launch[tag.id] = value
        except InvalidInput as problem:
            problems.append(problem.message)
    if problems:
        raise InvalidInput(" ".join(problems), details={"problems": problems}, field="tags")

    space_values = _space_values(session, space_id)
    blueprint_values = _blueprint_values(session, blueprint_id) if blueprint_id else {}
    resolved = dict(system)
    taken = {name.lower() for name in system}
    for tag in tags:
        if tag.name_key in taken:
            continue
        value = tag.value
        for level, values in (
            (Scope.SPACE, space_values),
            (Scope.BLUEPRINT, blueprint_values),
            (Scope.ENVIRONMENT, launch),
        ):
            if allows(tag.scope, level) and tag.id in values:
                value = values[tag.id]
        if value:
            resolved[tag.name] = value
    return resolved


def check_body_name(path_name: str, body_name: str | None) -> None:
    """Torque's clients repeat the tag's name in the body of a PUT; it must be the
    path's. Raises InvalidInput (422) otherwise."""
    if body_name is not None and body_name.strip().lower() != path_name.strip().lower():
        raise InvalidInput(
            f"The body names tag '{body_name}' but the path names tag '{path_name}'."
        )
