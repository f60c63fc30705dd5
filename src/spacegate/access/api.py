"""The decision API: other services ask "may this user do this?" (`/api/authz`).

Answers come from the in-memory index (emails and space names included), so a check
costs one token lookup for the caller and no query per decision.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field, model_validator

from spacegate.access.requires import SignedInAccess
from spacegate.authz import SPEC_BY_ID, Level, Permission, explain
from spacegate.authz.explain import Explanation
from spacegate.deps import RuntimeDep, SessionDep
from spacegate.errors import Forbidden, InvalidInput
from spacegate.grants.context import Access

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

    def queries(self) -> list[CheckQuery]:
        if self.checks is not None:
            return self.checks
        assert self.email is not None and self.permission is not None
        return [
            CheckQuery(email=self.email, permission=self.permission, space_name=self.space_name)
        ]


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


def _decide(access: Access, query: CheckQuery) -> Explanation:
    """Resolve names through the index and explain; enforce who may ask about whom."""
    index = access.index
    if query.email.strip().lower() != access.caller.email.lower() and not access.has(
        Permission.ACCESS_ADMINISTRATION
    ):
        raise Forbidden(
            "Asking about another user needs the Access the Administration area permission."
        )
    user_id = index.user_ids.get(query.email.strip().lower())
    space_id: int | None = None
    if query.space_name is not None:
        space_id = index.space_ids.get(query.space_name.strip().lower())
        # A space the asker cannot see is answered as unknown (rule 3), except for
        # administrators: the Administration area shows every space already.
        visible = space_id is not None and (
            access.can_see_space(space_id) or access.has(Permission.ACCESS_ADMINISTRATION)
        )
        if space_id is None or not visible:
            raise InvalidInput(f"There is no space named '{query.space_name}'.")
    elif SPEC_BY_ID[query.permission].level is Level.SPACE:
        raise InvalidInput(f"{query.permission.value} is a space permission; give space_name.")
    if user_id is None:
        return Explanation(False, f"There is no user '{query.email}' in this account.")
    return explain(index, user_id, query.permission, space_id)


@router.post(
    "/check",
    summary="May this user do this?",
    response_model=CheckResponse,
    response_model_exclude_none=True,
)
def check(
    body: CheckRequest,
    access: SignedInAccess,
    session: SessionDep,
    runtime: RuntimeDep,
) -> CheckResponse:
    """Single: `{email, permission, space_name?}` -> `{allowed, reason}`. Batch:
    `{checks: [...]}` (up to 1,000) -> `{results: [...]}`. Anyone may ask about
    themselves; asking about others needs ACCESS_ADMINISTRATION."""
    results = []
    for query in body.queries():
        decision = _decide(access, query)
        results.append(
            CheckResult(
                email=query.email,
                permission=query.permission,
                space_name=query.space_name,
                allowed=decision.allowed,
                reason=decision.reason,
            )
        )
    if body.checks is None:
        return CheckResponse(allowed=results[0].allowed, reason=results[0].reason)
    return CheckResponse(results=results)


@router.post(
    "/explain", summary="Why may (or may not) this user do this?", response_model=ExplainResponse
)
def explain_decision(
    body: CheckQuery,
    access: SignedInAccess,
    session: SessionDep,
    runtime: RuntimeDep,
) -> ExplainResponse:
    """On allow, the chain of grants (role held at account or space level, and the
    permission it gives); on deny, the nearest missing grant and the roles that would
    give it."""
    decision = _decide(access, body)
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
