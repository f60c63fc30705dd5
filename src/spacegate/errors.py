"""Domain errors, and the one handler that turns every failure into the API's error shape.

Services raise these (never HTTP exceptions). The handler answers
`{"errors": [{"name": ..., "message": ...}]}` with the status the error class carries.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)


class DomainError(Exception):
    """Base of every error a service may raise. `message` is shown to the user."""

    status_code = 400
    name = "BadRequest"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}

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


def error_body(name: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"errors": [{"name": name, "message": message, **extra}]}


def _describe_validation_error(error: dict[str, Any]) -> str:
    location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
    where = ".".join(location)
    if error.get("type") == "json_invalid":
        return "The request body is not valid JSON."
    if error.get("type") == "missing":
        return f"The field '{where}' is required."
    message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
    return f"The field '{where}' is not valid: {message}." if where else f"{message}."


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_request: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(
            error_body(exc.name, exc.message, **exc.details),
            status_code=exc.status_code,
            headers=exc.headers(),
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"name": "InvalidInput", "message": _describe_validation_error(dict(error))}
            for error in exc.errors()
        ]
        return JSONResponse({"errors": errors}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        names = {404: "NotFound", 405: "MethodNotAllowed", 401: "Unauthorized"}
        message = {
            404: "There is no such resource.",
            405: "This resource does not support that method.",
        }.get(exc.status_code, str(exc.detail))
        return JSONResponse(
            error_body(names.get(exc.status_code, "HttpError"), message),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse(
            error_body("InternalError", "Something went wrong on our side; it has been logged."),
            status_code=500,
        )
