"""Console forms in one place: run a service call; on a refusal, roll back and show the
form again with the message at the field the service names.

Services name the field on the error (`DomainError.field`, as the console's forms name
it); a page shows the message beside that field, or above the form when none is named.
A service that checks several fields at once lists them all in `details["fields"]`
(`{field: message}`), and the form shows every one of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from fastapi import Request, Response
from sqlalchemy.orm import Session

from spacegate.errors import DomainError, InvalidInput

T = TypeVar("T")

Rename = Mapping[str, str] | Callable[[str], str]
"""How a form calls a service's field: a mapping, or a function of the field's name."""


def _renamed(field_name: str, renamed: Rename | None) -> str:
    if renamed is None:
        return field_name
    if callable(renamed):
        return renamed(field_name)
    return renamed.get(field_name, field_name)


Default = str | Callable[[DomainError], str]
"""Where a refusal that names no field goes: a field, or a function of the error."""


def form_errors(
    error: DomainError,
    *,
    default: Default = "form",
    renamed: Rename | None = None,
) -> dict[str, str]:
    """`{field: message}` for each field `error` names (after `renamed`, for a form that
    calls the field otherwise), or for `default` when it names none ("form": above the
    form)."""
    several = error.details.get("fields")
    if isinstance(several, Mapping) and several:
        return {_renamed(str(name), renamed): str(text) for name, text in several.items()}
    fallback = default(error) if callable(default) else default
    return {_renamed(error.field or fallback, renamed): error.message}


@dataclass(frozen=True)
class Refusal:
    """A service's refusal of a submitted form, as the form shows it again."""

    error: DomainError
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def status_code(self) -> int:
        return self.error.status_code

    @property
    def message(self) -> str:
        return self.error.message


def submit(
    session: Session,
    action: Callable[[], T],
    redisplay: Callable[[Refusal], Response],
    *,
    default: Default = "form",
    renamed: Rename | None = None,
) -> T | Response:
    """`action()`'s result; or, when it raises a `DomainError`, the form again.

    The session is rolled back first, so nothing the action wrote stays and the page
    reads the state as it was before the form was sent; then `redisplay` draws the form
    with the refusal placed at its field (see `form_errors`). The caller returns the
    response it gets: `if isinstance(result, Response): return result`."""
    try:
        return action()
    except DomainError as error:
        session.rollback()
        return redisplay(Refusal(error, form_errors(error, default=default, renamed=renamed)))


def back_to(url: str) -> Callable[[Refusal], Response]:
    """For an action started from a page rather than a form of its own (a row's button):
    the refusal is shown on that page, `url`, as an alert above its content."""

    def redisplay(refusal: Refusal) -> Response:
        from spacegate.web.templating import redirect

        return redirect(url, flash=refusal.message, refused=True)

    return redisplay


def empty_fields(fields: Mapping[str, tuple[str, str]]) -> dict[str, str]:
    """`{field: "Enter the <what>."}` for each of `fields` (`{field: (value, what)}`) left
    empty. A form checks these all at once before calling the service, which would stop
    at the first."""
    return {name: f"Enter {what}." for name, (value, what) in fields.items() if not value.strip()}


async def prefixed_fields(
    request: Request, prefix: str, *, max_length: int, strip: bool
) -> dict[str, str]:
    """The `prefix<key>` fields of the posted form, by key, for forms whose fields depend
    on the data (a provider's credentials, a blueprint's inputs). Empty ones are left out,
    so that a default applies or the service reports them as required; `strip` trims the
    others. verify_csrf has already parsed the form; Starlette keeps it, so reading it
    again is free."""
    form = await request.form()
    found: dict[str, str] = {}
    for name, value in form.multi_items():
        if name.startswith(prefix) and isinstance(value, str) and value.strip():
            key = name.removeprefix(prefix)
            if len(value) > max_length:
                raise InvalidInput(f"The field '{key}' is too long.")
            found[key] = value.strip() if strip else value
    return found
