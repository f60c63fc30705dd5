"""Domain errors: what services raise (never HTTP exceptions).

Each class carries the status and the name the edge answers it with
(`spacegate.http_errors` turns them into the API's error shape); nothing here knows
about HTTP frameworks.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error a service may raise. `message` is shown to the user.

    `field`, when given, names the form field the error is about (as the console's
    forms name it), so a page can show the message beside that field. It is not part
    of the API's error body."""

    status_code = 400
    name = "BadRequest"

    def __init__(
        self,
        message: str,
        *,
        details: dict[str, Any] | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}
        self.field = field

    def headers(self) -> dict[str, str]:
        return {}


class InvalidInput(DomainError):
    status_code = 422
    name = "InvalidInput"


class Unauthorized(DomainError):
    status_code = 401
    name = "Unauthorized"

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Bearer"}


class Forbidden(DomainError):
    status_code = 403
    name = "Forbidden"


class NotFound(DomainError):
    status_code = 404
    name = "NotFound"


class Conflict(DomainError):
    status_code = 409
    name = "Conflict"


class LastAdmin(Conflict):
    name = "LastAccountAdmin"


class RoleInUse(Conflict):
    name = "RoleInUse"


class RateLimited(DomainError):
    status_code = 429
    name = "TooManyRequests"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, details={"retry_after": retry_after})
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}
