"""SCIM's error shape (RFC 7644, 3.12): every failure of a `/scim/v2` route answers
`{"schemas": [...Error], "status": "<code>", "scimType"?, "detail"}`."""

from __future__ import annotations

import logging
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import ValidationError
from scim2_models import Context, Error, SCIMException

from spacegate.errors import DomainError

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/scim+json"


class ScimError(DomainError):
    name = "ScimError"

    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        super().__init__(detail)
        self.status_code = status
        self.scim_type = scim_type

    @classmethod
    def from_validation(cls, error: Exception) -> ScimError:
        """A payload scim2-models refused: its SCIM error type when it names one."""
        scim: SCIMException | None = error if isinstance(error, SCIMException) else None
        if scim is None and isinstance(error, ValidationError):
            for detail in error.errors():
                context: dict[str, Any] = detail.get("ctx") or {}
                found = context.get("error")
                if isinstance(found, SCIMException):
                    scim = found
                    break
        if scim is not None:
            answer = scim.to_error()
            return cls(
                int(answer.status or 400),
                str(answer.detail or "The request is not valid."),
                answer.scim_type,
            )
        message = "The request is not valid SCIM."
        if isinstance(error, ValidationError) and error.errors():
            first = error.errors()[0]
            where = ".".join(str(part) for part in first.get("loc", ()))
            message = f"The request is not valid SCIM: {where}: {first.get('msg', 'invalid')}."
        return cls(400, message, "invalidValue")


def error_response(status: int, detail: str, scim_type: str | None = None) -> JSONResponse:
    body = Error(status=status, scim_type=scim_type, detail=detail).model_dump(
        scim_ctx=Context.DEFAULT
    )
    headers = {"WWW-Authenticate": 'Bearer realm="SCIM"'} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)
