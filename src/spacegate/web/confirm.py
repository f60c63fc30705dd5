"""Asking before a change of access or a deletion. A form that does one carries
`data-confirm` (the script asks in the browser, then sends `confirmed`); a form that
arrives without `confirmed` (no script) gets a page that asks, with the same form."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Request, Response
from sqlalchemy.orm import Session

from spacegate.authz import SPEC_BY_ID
from spacegate.grants.context import Access
from spacegate.roles.service import RoleRef
from spacegate.web.console import page

ConfirmedField = Annotated[str, Form(alias="confirmed", max_length=8)]
"""`confirmed_: ConfirmedField = ""`: the form's `confirmed`, set once the user said yes."""


def raising(roles: list[RoleRef], current: RoleRef | None) -> list[str]:
    """The names of `roles` that give something `current` does not: choosing one of
    them raises privileges, which is asked about first."""
    held = current.permissions if current else frozenset()
    return [role.name for role in roles if not role.permissions <= held]


def gained(wanted: RoleRef, current: RoleRef | None) -> list[str]:
    """What `wanted` gives that `current` does not, as the matrix names it."""
    held = current.permissions if current else frozenset()
    return sorted(SPEC_BY_ID[p].label for p in wanted.permissions - held)


def confirmed(value: str) -> bool:
    return value.strip().lower() in ("yes", "true", "1", "on")


def ask(
    request: Request,
    session: Session,
    access: Access,
    *,
    title: str,
    question: str,
    action: str,
    fields: dict[str, str],
    button: str,
    cancel: str,
    danger: bool = True,
    details: list[str] | None = None,
    **context: Any,
) -> Response:
    """The page that asks `question` before doing `action` (a POST of `fields`)."""
    return page(
        request,
        session,
        access,
        "confirm.html",
        title=title,
        question=question,
        details=details or [],
        action=action,
        fields=fields,
        button=button,
        cancel=cancel,
        danger=danger,
        **context,
    )
