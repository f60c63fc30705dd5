"""Route guards: every route declares, with exactly one of these, what it needs.

- `Public()`: anyone, no credentials.
- `SignedIn()`: any authenticated user of the account; hands over their `Access`, for
  routes whose answer depends on what the caller may do.
- `RequireAccount(P)`: an account-level permission. Without it: 403.
- `RequireSpace(P)`: a permission in the space named by the `{space}` path parameter
  (an account permission, such as CREATE_SPACES for renaming, is checked at account
  level once the space is found visible). The status codes follow PERMISSIONS.md
  rule 3: a space that does not exist, belongs to another account, or in which the
  caller holds no permission at all answers 404 (its
  existence is not revealed); a space the caller sees but may not act in answers 403.
- `RequireAnySpace(P1, P2, ...)`: like `RequireSpace`, satisfied by any one of several
  space permissions (e.g. the blueprint list, for publishers and blueprint-tag managers).

No credentials, or bad ones, answer 401 for every guard but `Public`. The guard hands
the endpoint a frozen context (`Access`, `SpaceAccess`); a test walks `app.routes` and
fails on any route without exactly one guard. Routes name them through the shorthands of
`spacegate.access.requires`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request

from spacegate.auth.models import BEARER_KINDS, COOKIE_KINDS
from spacegate.authz import SPEC_BY_ID, Level, Permission
from spacegate.deps import IndexCacheDep, SessionDep, runtime_of
from spacegate.errors import Forbidden, NotFound, Unauthorized
from spacegate.grants.context import Access, Caller
from spacegate.runtime import Runtime
from spacegate.spaces.models import Space
from spacegate.spaces.service import find_space

SESSION_COOKIE = "spacegate_session"
BEARER_SCHEME = "bearerAuth"
"""The OpenAPI security scheme of every guarded route (see `document_security`)."""


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, read straight from the
    ASGI scope (a guard that declared it as a FastAPI security dependency would cost a
    second dependency to resolve on every request)."""
    for name, value in request.scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            token = token.strip()
            return token if scheme.lower() == "bearer" and token else None
    return None


async def authenticate(request: Request) -> Caller:
    """The API (`/api/...`) takes bearer tokens only; console pages take the session
    cookie only. Keeping the two apart means a cookie can never drive the API (which
    therefore needs no CSRF defence), while every console form is CSRF-checked. A known
    token is authenticated from memory (`CallerCache`), with no database access."""
    return await _authenticate(request, runtime_of(request))


async def _authenticate(request: Request, runtime: Runtime) -> Caller:
    callers = runtime.callers
    peer = request.scope.get("client")
    client = peer[0] if peer else None
    if request.scope["path"].startswith("/api/"):
        token = bearer_token(request)
        if token is None:
            raise Unauthorized("Sign in first: send 'Authorization: Bearer <token>'.")
        known = callers.known(token, BEARER_KINDS, client)  # no await: the common case
        return known or await callers.authenticate(token, BEARER_KINDS, client)
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise Unauthorized("Sign in to continue.")
    return await callers.authenticate(cookie, COOKIE_KINDS, client)


async def _access(request: Request) -> Access:
    runtime = runtime_of(request)
    caller = await _authenticate(request, runtime)
    grants = runtime.authz
    index = grants.peek(caller.account_id) or await grants.aget(caller.account_id)
    return Access(caller, index)


CallerDep = Annotated[Caller, Depends(authenticate)]


@dataclass(frozen=True, slots=True)
class SpaceAccess(Access):
    space: Space


class Guard:
    """Base of the route guards; `permission` is what the route declares it needs."""

    permission: Permission | None = None
    description = ""


class Public(Guard):
    description = "No credentials needed."

    async def __call__(self) -> None:
        return None


# The async guards take the request and nothing else: each dependency FastAPI resolves
# costs more than the decision itself.


class SignedIn(Guard):
    description = "Any signed-in user."

    async def __call__(self, request: Request) -> Access:
        return await _access(request)


class RequireAccount(Guard):
    def __init__(self, permission: Permission) -> None:
        if SPEC_BY_ID[permission].level is not Level.ACCOUNT:
            raise ValueError(f"{permission} is a space permission; use RequireSpace")
        self.permission = permission
        self.description = f"Needs {permission.value}."

    async def __call__(self, request: Request) -> Access:
        access = await _access(request)
        assert self.permission is not None
        if not access.has(self.permission):
            raise Forbidden(f"You need the {SPEC_BY_ID[self.permission].label} permission.")
        return access


class RequireSpace(Guard):
    def __init__(self, permission: Permission) -> None:
        self.permission = permission
        # Any one of these suffices; `RequireAnySpace` declares more than one.
        self.permissions: tuple[Permission, ...] = (permission,)
        self.in_space = SPEC_BY_ID[permission].level is Level.SPACE
        where = "in the space" if self.in_space else "(account), and sight of the space"
        self.description = f"Needs {permission.value} {where}."

    def __call__(
        self,
        space: Annotated[str, Path(description="The space's name.", max_length=200)],
        caller: CallerDep,
        session: SessionDep,
        cache: IndexCacheDep,
    ) -> SpaceAccess:
        found = find_space(session, caller.account_id, space)
        index = cache.get(session, caller.account_id)
        access = SpaceAccess(caller, index, found) if found else None
        if access is None or not access.can_see_space(access.space.id):
            raise NotFound(f"There is no space named '{space}'.")
        scope = access.space.id if self.in_space else None
        if not any(access.has(permission, scope) for permission in self.permissions):
            labels = " or ".join(SPEC_BY_ID[p].label for p in self.permissions)
            raise Forbidden(
                f"You need the {labels} permission in space '{access.space.name}'."
                if self.in_space
                else f"You need the {labels} permission."
            )
        return access


class RequireAnySpace(RequireSpace):
    """Any one of several space permissions in the space; `permission` is the first."""

    def __init__(self, *permissions: Permission) -> None:
        if len(permissions) < 2:
            raise ValueError("RequireAnySpace needs two or more permissions; use RequireSpace")
        if any(SPEC_BY_ID[p].level is not Level.SPACE for p in permissions):
            raise ValueError("RequireAnySpace takes space permissions only")
        super().__init__(permissions[0])
        self.permissions = permissions
        self.description = f"Needs one of {', '.join(p.value for p in permissions)} in the space."
