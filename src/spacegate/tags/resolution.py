"""An environment's tags: the system tags, then every definition's value from the most
general level to the most specific (see `spacegate.tags.service`)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from spacegate.errors import InvalidInput
from spacegate.tags.rules import (
    Scope,
    allows,
    check_possible,
    clean_value,
    is_reserved,
    scope_refusal,
)
from spacegate.tags.service import list_tags
from spacegate.tags.values import blueprint_values_of, space_values_of


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
                raise scope_refusal(tag, "when launching an environment")
            value = clean_value(str(raw_value), f"tag '{tag.name}'")
            check_possible(tag, value)
            launch[tag.id] = value
        except InvalidInput as problem:
            problems.append(problem.message)
    if problems:
        raise InvalidInput(" ".join(problems), details={"problems": problems}, field="tags")

    space_values = space_values_of(session, space_id)
    blueprint_values = blueprint_values_of(session, blueprint_id) if blueprint_id else {}
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
