"""What every SCIM route shares: its guard (`ScimGuard`: the SCIM token in
`Authorization: Bearer` names the account, and everything the client reads or writes is
that account's), the route class that answers every failure in SCIM's error shape, and
the request parameters (filter, paging, attributes)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from scim2_models import Context, ResponseParameters
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException

from spacegate.access.guard import Guard
from spacegate.deps import ClientDep, SessionDep
from spacegate.errors import DomainError
from spacegate.scim import groups
from spacegate.scim.errors import MEDIA_TYPE, ScimError, error_response
from spacegate.scim.tokens import ScimCaller, authenticate

log = logging.getLogger(__name__)

PREFIX = "/scim/v2"
DEFAULT_COUNT = 100
_FILTER = re.compile(r'^\s*([A-Za-z.]+)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$', re.IGNORECASE)


class ScimRoute(APIRoute):
    """Turns every failure of a SCIM route, its guard's included, into a SCIM error."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def scim_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except ScimError as error:
                return error_response(error.status_code, error.message, error.scim_type)
            except RequestValidationError:
                return error_response(
                    400, "The request is not valid JSON or SCIM.", "invalidSyntax"
                )
            except DomainError as error:
                return error_response(error.status_code, error.message)
            except HTTPException as error:
                return error_response(error.status_code, str(error.detail))
            except IntegrityError:
                # Two requests created the same userName or group at the same moment.
                log.info("a unique constraint refused a concurrent SCIM write", exc_info=True)
                return error_response(
                    409,
                    "That already exists: another request created it at the same moment.",
                    "uniqueness",
                )
            except Exception:
                log.exception("unhandled error in a SCIM route")
                return error_response(500, "Something went wrong on our side; it has been logged.")

        return scim_handler


_bearer = HTTPBearer(auto_error=False, description="A SCIM token of the account.")


class ScimGuard(Guard):
    """No user credentials: a SCIM token, which identifies the account (401 without)."""

    description = "Needs a SCIM token of the account."

    def __call__(
        self,
        session: SessionDep,
        client: ClientDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> ScimCaller:
        return authenticate(session, credentials.credentials if credentials else None, client)


Scim = Annotated[ScimCaller, Depends(ScimGuard())]
Id = Annotated[str, Path(max_length=64)]
Payload = Annotated[dict[str, Any], Body()]


def scim_router() -> APIRouter:
    return APIRouter(prefix=PREFIX, tags=["SCIM 2.0"], route_class=ScimRoute)


def base_url(runtime: Any) -> str:
    return f"{runtime.settings.base_url()}{PREFIX}"


def scim_json(body: Any, status: int = 200, location: str | None = None) -> JSONResponse:
    headers = {"Location": location} if location else None
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def dump(
    resource: Any,
    context: Context,
    request: Request | None = None,
    parameters: ResponseParameters[Any] | None = None,
) -> dict[str, Any]:
    """The resource as SCIM answers it, narrowed by `attributes` / `excludedAttributes`
    (of the query string, or of a search request)."""
    if parameters is None and request is not None:
        parameters = _parameters(request)
    dumped: dict[str, Any] = resource.model_dump(scim_ctx=context, response_parameters=parameters)
    return dumped


def _parameters(request: Request) -> ResponseParameters[Any] | None:
    attributes = request.query_params.get("attributes")
    excluded = request.query_params.get("excludedAttributes")
    if not attributes and not excluded:
        return None
    try:
        return ResponseParameters.model_validate(
            {"attributes": attributes, "excludedAttributes": excluded}
        )
    except ValueError as error:
        raise ScimError.from_validation(error) from None


def parse_filter(expression: str | None) -> tuple[str | None, str | None]:
    if not expression:
        return None, None
    found = _FILTER.match(expression)
    if found is None:
        raise ScimError(
            400, 'Only filters of the form attribute eq "value" are supported.', "invalidFilter"
        )
    value = re.sub(r"\\(.)", r"\1", found.group(2))
    return found.group(1).lower(), value


def page(
    session: Session,
    statement: Any,
    start_index: int,
    count: int,
    dump: Callable[[Any], dict[str, Any]],
) -> dict[str, Any]:
    total = groups.count(session, statement)
    rows = list(session.scalars(statement.offset(start_index - 1).limit(count)))
    return {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": len(rows),
        "Resources": [dump(row) for row in rows],
    }


StartIndex = Annotated[int, Query(alias="startIndex", ge=1, le=2**31 - 1)]
Count = Annotated[int, Query(ge=0, le=2**31 - 1)]
FilterQuery = Annotated[str | None, Query(alias="filter", max_length=1000)]
