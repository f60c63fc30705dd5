"""The decision API: other services ask "may this user do this?" (`/api/authz`).

Answers come from the in-memory index (emails and space names included), so a check
costs one token lookup for the caller and no query per decision.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, model_validator

from spacegate import metrics
from spacegate.access.requires import Administration, SignedInAccess
from spacegate.authz import SPEC_BY_ID, AccountIndex, Level, Permission, decide, explain
from spacegate.authz.explain import Explanation
from spacegate.authz.grants import Grant
from spacegate.deps import runtime_of
from spacegate.errors import Forbidden, InvalidInput, NotFound
from spacegate.grants.context import Access
from spacegate.names import email_key
from spacegate.pagination import CursorQuery, LimitQuery, decode_cursor, set_next_cursor

router = APIRouter(prefix="/api/authz", tags=["Decision API"])

MAX_BATCH = 1000


class CheckQuery(BaseModel):
    email: str = Field(max_length=254)
    permission: Permission
    space_name: str | None = Field(None, max_length=200)


class CheckRequest(BaseModel):
    """Either one check (`email`, `permission`, `space_name`) or a batch (`checks`)."""

    email: str | None = Field(None, max_length=254)
    permission: Permission | None = None
    space_name: str | None = Field(None, max_length=200)
    checks: list[CheckQuery] | None = Field(None, max_length=MAX_BATCH)

    @model_validator(mode="after")
    def _one_form(self) -> CheckRequest:
        single = self.email is not None or self.permission is not None
        if single == (self.checks is not None):
            raise ValueError("send either email and permission, or checks[], not both")
        if single and (self.email is None or self.permission is None):
            raise ValueError("a check needs both email and permission")
        return self


class CheckResult(BaseModel):
    email: str
    permission: Permission
    space_name: str | None
    allowed: bool
    reason: str


class CheckResponse(BaseModel):
    allowed: bool | None = Field(None, description="Single form: the decision.")
    reason: str | None = None
    results: list[CheckResult] | None = Field(
        None, description="Batch form: one per check, in order."
    )


class GrantStepOut(BaseModel):
    scope: Level
    role: str
    permission: Permission
    space_name: str | None
    via: Permission | None
    group: str | None = Field(
        None, description="The group the role is held through; none when held directly."
    )


class MissingGrantOut(BaseModel):
    scope: Level
    space_name: str | None
    current_role: str | None
    roles_that_grant: list[str]


class ExplainResponse(BaseModel):
    allowed: bool
    reason: str
    chain: list[GrantStepOut] = Field(description="On allow: grant -> role -> permission.")
    missing: MissingGrantOut | None = Field(description="On deny: the nearest missing grant.")


def _decide(
    access: Access,
    email: str,
    permission: Permission,
    space_name: str | None,
    refused_domains: Collection[str],
    *,
    why: bool = True,
) -> Explanation:
    """Resolve names through the index and explain (with `why`, the whole chain; else
    the answer and its reason only); enforce who may ask about whom. An address on a
    domain the operator refuses is refused here too (422)."""
    index = access.index
    key = email_key(email, refused_domains)
    if key != access.caller.email.lower() and not access.has(Permission.ACCESS_ADMINISTRATION):
        raise Forbidden(
            "Asking about another user needs the Access the Administration area permission."
        )
    user_id = index.user_ids.get(key)
    space_id: int | None = None
    if space_name is not None:
        space_id = index.space_ids.get(space_name.strip().lower())
        # A space the asker cannot see is answered as unknown (rule 3), except for
        # administrators: the Administration area shows every space already.
        visible = space_id is not None and (
            access.can_see_space(space_id) or access.has(Permission.ACCESS_ADMINISTRATION)
        )
        if space_id is None or not visible:
            raise InvalidInput(f"There is no space named '{space_name}'.")
    elif SPEC_BY_ID[permission].level is Level.SPACE:
        raise InvalidInput(f"{permission.value} is a space permission; give space_name.")
    if user_id is None:
        return Explanation(False, f"There is no user '{email}' in this account.")
    if why:
        return explain(index, user_id, permission, space_id)
    allowed, reason = decide(index, user_id, permission, space_id)
    return Explanation(allowed, reason)


def _counted(decision: Explanation) -> Explanation:
    (metrics.DECISIONS_ALLOWED if decision.allowed else metrics.DECISIONS_DENIED).inc()
    return decision


@router.post(
    "/check",
    summary="May this user do this?",
    response_model=CheckResponse,
    response_model_exclude_none=True,
)
async def check(body: CheckRequest, access: SignedInAccess, request: Request) -> Response:
    """Single: `{email, permission, space_name?}` -> `{allowed, reason}`. Batch:
    `{checks: [...]}` (up to 1,000) -> `{results: [...]}`. Anyone may ask about
    themselves; asking about others needs ACCESS_ADMINISTRATION.

    Answered from memory: the caller's token and the account's grants are cached, so a
    decision makes no database query."""
    # The answer is built as JSON directly: `response_model` documents it, and
    # validating what was just built would cost more than deciding.
    refused = runtime_of(request).settings.refused_email_domains
    if body.checks is None:
        assert body.email is not None and body.permission is not None
        decision = _counted(
            _decide(access, body.email, body.permission, body.space_name, refused, why=False)
        )
        return JSONResponse({"allowed": decision.allowed, "reason": decision.reason})
    results = []
    for query in body.checks:
        decision = _counted(
            _decide(access, query.email, query.permission, query.space_name, refused, why=False)
        )
        results.append(
            {
                "email": query.email,
                "permission": query.permission.value,
                "space_name": query.space_name,
                "allowed": decision.allowed,
                "reason": decision.reason,
            }
        )
    return JSONResponse({"results": results})


@router.post(
    "/explain", summary="Why may (or may not) this user do this?", response_model=ExplainResponse
)
async def explain_decision(
    body: CheckQuery, access: SignedInAccess, request: Request
) -> ExplainResponse:
    """On allow, the chain of grants (role held at account or space level, and the
    permission it gives); on deny, the nearest missing grant and the roles that would
    give it."""
    refused = runtime_of(request).settings.refused_email_domains
    decision = _decide(access, body.email, body.permission, body.space_name, refused)
    space_name = body.space_name
    return ExplainResponse(
        allowed=decision.allowed,
        reason=decision.reason,
        chain=[
            GrantStepOut(
                scope=step.scope,
                role=step.role,
                permission=step.permission,
                space_name=space_name if step.space_id is not None else None,
                via=step.via,
                group=step.group,
            )
            for step in decision.chain
        ],
        missing=MissingGrantOut(
            scope=decision.missing.scope,
            space_name=space_name if decision.missing.space_id is not None else None,
            current_role=decision.missing.current_role,
            roles_that_grant=list(decision.missing.roles_that_grant),
        )
        if decision.missing
        else None,
    )


# -- reverse lookups -------------------------------------------------------------------------


class GrantOut(BaseModel):
    role: str
    scope: Level = Field(description="`account`: held account-wide; `space`: in that space.")
    group: str | None = Field(None, description="The group the role is held through.")


class LookupSpaceOut(BaseModel):
    space_name: str
    roles: list[GrantOut] = Field(description="The roles that give the permission there.")


class LookupUserOut(BaseModel):
    email: str
    roles: list[GrantOut] = Field(description="The roles that give the permission there.")


def _grants_out(index: AccountIndex, grants: tuple[Grant, ...]) -> list[GrantOut]:
    out = []
    for role_key, group_id in grants:
        role = index.roles.get(role_key)
        if role is None:
            continue
        group = index.groups.get(group_id) if group_id is not None else None
        out.append(GrantOut(role=role.name, scope=role.level, group=group.name if group else None))
    return out


@router.get(
    "/lookup/spaces",
    summary="Where does this user hold this permission?",
    response_model=list[LookupSpaceOut],
)
async def lookup_spaces(
    email: Annotated[str, Query(max_length=254, description="The user's email.")],
    permission: Annotated[Permission, Query(description="A permission id.")],
    access: SignedInAccess,
    request: Request,
    response: Response,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
) -> list[LookupSpaceOut]:
    """The spaces where the user holds `permission`, by space id, from the in-memory
    index. Anyone may ask about themselves, and sees the spaces they see; asking about
    others needs ACCESS_ADMINISTRATION (which sees every space). Paged: `limit`, and the
    `X-Next-Cursor` of a page as the next one's `cursor`."""
    index = access.index
    refused = runtime_of(request).settings.refused_email_domains
    key = email_key(email, refused)
    administrator = access.has(Permission.ACCESS_ADMINISTRATION)
    if key != access.caller.email.lower() and not administrator:
        raise Forbidden(
            "Asking about another user needs the Access the Administration area permission."
        )
    user_id = index.user_ids.get(key)
    if user_id is None:
        raise NotFound(f"There is no user '{email}' in this account.")
    found: list[LookupSpaceOut] = []
    ids: list[int] = []
    for space_id in index.spaces_with(user_id, permission, decode_cursor(cursor) or 0):
        if not administrator and not access.can_see_space(space_id):
            continue
        grants = index.grants_giving(user_id, space_id, permission)
        found.append(
            LookupSpaceOut(space_name=index.space_names[space_id], roles=_grants_out(index, grants))
        )
        ids.append(space_id)
        if len(found) == limit:
            break
    set_next_cursor(response, ids, limit)
    return found


@router.get(
    "/lookup/users",
    summary="Who holds this permission in this space?",
    response_model=list[LookupUserOut],
)
async def lookup_users(
    space_name: Annotated[str, Query(max_length=200, description="The space's name.")],
    permission: Annotated[Permission, Query(description="A permission id.")],
    access: Administration,
    response: Response,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
) -> list[LookupUserOut]:
    """The active users who hold `permission` in the space, and the roles (and groups)
    they hold it through, by user id, from the in-memory index. Listing other users'
    access needs ACCESS_ADMINISTRATION, as asking about another user does. Paged as
    `lookup/spaces`."""
    if not access.has(Permission.ACCESS_ADMINISTRATION):
        raise Forbidden(
            "Listing who holds a permission needs the Access the Administration area permission."
        )
    index = access.index
    space_id = index.space_ids.get(space_name.strip().lower())
    if space_id is None:
        raise NotFound(f"There is no space named '{space_name}'.")
    found: list[LookupUserOut] = []
    ids: list[int] = []
    for holder in index.holders(space_id, permission, decode_cursor(cursor) or 0):
        found.append(
            LookupUserOut(
                email=index.emails[holder.user_id],
                roles=_grants_out(index, holder.grants),
            )
        )
        ids.append(holder.user_id)
        if len(found) == limit:
            break
    set_next_cursor(response, ids, limit)
    return found
