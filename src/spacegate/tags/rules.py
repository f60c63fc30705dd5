"""What a tag is allowed to be: the scopes, the system tags and limits, and the checks
of names, values and descriptions (each raises InvalidInput with a sentence)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from enum import StrEnum

from spacegate.errors import Conflict, InvalidInput
from spacegate.tags.models import TagDefinition


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


def scope_refusal(tag: TagDefinition, at: str) -> InvalidInput:
    return InvalidInput(
        f"Tag '{tag.name}' has scope '{tag.scope}': its value can be set "
        f"{_WHERE[Scope(tag.scope)]}, not {at}."
    )


# -- cleaning input ----------------------------------------------------------------------


def has_control(text: str) -> bool:
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


def clean_value(value: str, what: str, *, allow_empty: bool = False, field: str = "value") -> str:
    value = value.strip()
    if not value and not allow_empty:
        raise InvalidInput(f"The value of {what} must not be empty.", field=field)
    if len(value) > MAX_VALUE:
        raise InvalidInput(
            f"The value of {what} must be at most {MAX_VALUE} characters long.", field=field
        )
    if has_control(value):
        raise InvalidInput(f"The value of {what} must not contain control characters.", field=field)
    return value


def clean_scope(scope: str) -> Scope:
    try:
        return Scope(scope.strip().lower())
    except ValueError:
        choices = ", ".join(s.value for s in Scope)
        raise InvalidInput(
            f"'{scope}' is not a tag scope; use one of: {choices}.", field="scope"
        ) from None


def clean_possible_values(values: Iterable[str], name: str) -> list[str]:
    cleaned: list[str] = []
    for raw in values:
        value = clean_value(raw, f"a possible value of tag '{name}'", field="possible_values")
        if value not in cleaned:
            cleaned.append(value)
    if len(cleaned) > MAX_POSSIBLE_VALUES:
        raise InvalidInput(
            f"A tag may have at most {MAX_POSSIBLE_VALUES} possible values.",
            field="possible_values",
        )
    return cleaned


def clean_description(description: str) -> str:
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


def check_body_name(path_name: str, body_name: str | None) -> None:
    """Torque's clients repeat the tag's name in the body of a PUT; it must be the
    path's. Raises InvalidInput (422) otherwise."""
    if body_name is not None and body_name.strip().lower() != path_name.strip().lower():
        raise InvalidInput(
            f"The body names tag '{body_name}' but the path names tag '{path_name}'."
        )
