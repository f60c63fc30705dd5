"""Which field of a console form a service's refusal is about.

Services name the field on the error (`DomainError.field`, as the console's forms name
it); a page shows the message beside that field, or above the form when none is named.
"""

from __future__ import annotations

from collections.abc import Mapping

from spacegate.errors import DomainError


def form_errors(
    error: DomainError,
    *,
    default: str = "form",
    renamed: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """`{field: message}` for the field `error` names (after `renamed`, for a form that
    calls the field otherwise), or for `default` when it names none."""
    field = error.field or default
    if renamed:
        field = renamed.get(field, field)
    return {field: error.message}
