"""The one place every failure becomes the API's error shape (or a console page).

`{"errors": [{"name": ..., "message": ...}]}` with the status the domain error carries
(`spacegate.errors`); FastAPI's validation errors, Starlette's HTTP errors and database
refusals are answered the same way. `app.py` installs these handlers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from spacegate.errors import Conflict, DomainError, InvalidInput

log = logging.getLogger(__name__)


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


PageRenderer = Callable[[Request, int, str, str], Response]
"""Renders an error for a console page: (request, status, name, message) -> response."""


def install_error_handlers(app: FastAPI, page: PageRenderer | None = None) -> None:
    """JSON errors for `/api/...`; console pages get `page`'s rendering when given."""

    def for_page(request: Request) -> bool:
        return page is not None and not request.url.path.startswith("/api/")

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        if page is not None and for_page(request):
            return await run_in_threadpool(page, request, exc.status_code, exc.name, exc.message)
        return JSONResponse(
            error_body(exc.name, exc.message, **exc.details),
            status_code=exc.status_code,
            headers=exc.headers(),
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"name": "InvalidInput", "message": _describe_validation_error(dict(error))}
            for error in exc.errors()
        ]
        if page is not None and for_page(request):
            message = " ".join(e["message"] for e in errors)
            return await run_in_threadpool(page, request, 422, "InvalidInput", message)
        return JSONResponse({"errors": errors}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        names = {
            404: "NotFound",
            405: "MethodNotAllowed",
            401: "Unauthorized",
            413: "PayloadTooLarge",
        }
        message = {
            404: "There is no such resource.",
            405: "This resource does not support that method.",
        }.get(exc.status_code, str(exc.detail))
        name = names.get(exc.status_code, "HttpError")
        if page is not None and for_page(request):
            return await run_in_threadpool(page, request, exc.status_code, name, message)
        return JSONResponse(
            error_body(name, message),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(DataError)
    async def _refused_value(request: Request, exc: DataError) -> Response:
        # The database refused a value that passed validation (PostgreSQL stores no NUL
        # character in text): bad input, not a failure of the server.
        log.info("the database refused a value: %s", exc.orig)
        message = "A value in the request cannot be stored; remove any control characters."
        return await _domain(request, InvalidInput(message))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error", exc_info=exc)
        if page is not None and for_page(request):
            message = "Something went wrong on our side; it has been logged."
            return await run_in_threadpool(page, request, 500, "InternalError", message)
        return JSONResponse(
            error_body("InternalError", "Something went wrong on our side; it has been logged."),
            status_code=500,
        )

    @app.exception_handler(IntegrityError)
    async def _taken_meanwhile(request: Request, exc: IntegrityError) -> Response:
        # Two requests at the same moment can both pass a service's "is it free?" check
        # (PostgreSQL runs them side by side); the unique constraint then refuses the
        # second one. That is the duplicate the service reports with 409, not a failure.
        # Likewise a foreign key refuses a row whose parent another request deleted
        # meanwhile (a role removed while being assigned).
        if _is_unique_violation(exc):
            log.info("a unique constraint refused a concurrent duplicate: %s", exc.orig)
            message = "That already exists: another request created it at the same moment."
        elif _is_foreign_key_violation(exc):
            log.info("a foreign key refused a concurrent change: %s", exc.orig)
            message = "Something this change refers to was removed meanwhile; reload and try again."
        else:
            return await _unexpected(request, exc)
        return await _domain(request, Conflict(message))


def _is_unique_violation(exc: IntegrityError) -> bool:
    """PostgreSQL's unique_violation (23505), or SQLite's UNIQUE or PRIMARY KEY failure."""
    return getattr(exc.orig, "sqlstate", None) == "23505" or getattr(
        exc.orig, "sqlite_errorname", None
    ) in ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY")


def _is_foreign_key_violation(exc: IntegrityError) -> bool:
    """PostgreSQL's foreign_key_violation (23503), or SQLite's FOREIGN KEY failure."""
    return (
        getattr(exc.orig, "sqlstate", None) == "23503"
        or getattr(exc.orig, "sqlite_errorname", None) == "SQLITE_CONSTRAINT_FOREIGNKEY"
    )
