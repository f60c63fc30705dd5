"""Asking before a change of access or a deletion. A form that does one carries
`data-confirm` (the script asks in the browser, then sends `confirmed`); a form that
arrives without `confirmed` (no script) gets a page that asks, with the same form."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from sqlalchemy.orm import Session

from spacegate.grants.context import Access
from spacegate.web.console import page


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
