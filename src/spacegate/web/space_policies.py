"""A space's Settings > Policies (MANAGE_SPACE_POLICIES, for reads too, as the API): the
space's Rego policies with an Enable / Disable toggle; add, edit (a module that does not
compile comes back with the compiler's message next to it) and delete.

The writes are the API's (`spacegate.policies.api`), with the same guards.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Path, Request, Response
from sqlalchemy.orm import Session

from spacegate.access.guard import SpaceAccess
from spacegate.access.requires import ManageSpacePolicies
from spacegate.deps import RuntimeDep, SessionDep
from spacegate.errors import InvalidInput
from spacegate.names import unix_newlines
from spacegate.policies import service as policies
from spacegate.policies.models import SpacePolicy
from spacegate.web.console import page
from spacegate.web.csrf import verify_csrf
from spacegate.web.forms import Refusal, submit
from spacegate.web.templating import redirect

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])

PolicyName = Annotated[str, Path(max_length=200)]
PolicyForm = Annotated[str, Form(max_length=policies.MAX_REGO)]
DescriptionForm = Annotated[str, Form(max_length=policies.MAX_DESCRIPTION)]
DataForm = Annotated[str, Form(max_length=policies.MAX_DATA)]
EnabledForm = Annotated[str, Form(max_length=8)]

NEW_REGO = """package spacegate.max_duration

deny contains msg if {
    input.duration_minutes > data.max_duration_minutes
    msg := sprintf("Environments may run at most %d minutes; %d were asked.",
        [data.max_duration_minutes, input.duration_minutes])
}
"""
NEW_DATA = '{\n  "max_duration_minutes": 480\n}'


def _policies_url(access: SpaceAccess) -> str:
    return f"/spaces/{quote(access.space.name, safe='')}/settings/policies"


def _policy_url(access: SpaceAccess, name: str) -> str:
    return f"{_policies_url(access)}/{quote(name, safe='')}"


def _on(value: str) -> bool:
    return value.strip().lower() in ("true", "on", "1", "yes")


@router.get("/spaces/{space}/settings/policies")
def policies_page(request: Request, access: ManageSpacePolicies, session: SessionDep) -> Response:
    return page(
        request,
        session,
        access,
        "space_policies.html",
        tab="settings",
        subtab="policies",
        policies=policies.list_policies(session, access.space),
    )


@router.post("/spaces/{space}/settings/policies/{name}/enabled")
def toggle_policy(
    name: PolicyName,
    access: ManageSpacePolicies,
    session: SessionDep,
    runtime: RuntimeDep,
    enabled: EnabledForm,
) -> Response:
    on = _on(enabled)
    policy = policies.update_policy(
        session,
        runtime.sessions,
        runtime.policies,
        access,
        access.space,
        name,
        new_name=None,
        description=None,
        source=None,
        data=None,
        enabled=on,
    )
    state = "enabled: it is evaluated" if on else "disabled: it is kept, not evaluated"
    return redirect(_policies_url(access), flash=f"Policy {policy.name} is {state}.")


# -- the form of a policy ------------------------------------------------------------------


def _policy_values(policy: SpacePolicy | None) -> dict[str, Any]:
    if policy is None:
        return {"name": "", "description": "", "rego": NEW_REGO, "data": NEW_DATA, "enabled": True}
    return {
        "name": policy.name,
        "description": policy.description,
        "rego": policy.rego,
        "data": json.dumps(policy.data, indent=2, ensure_ascii=False),
        "enabled": policy.enabled,
    }


def _policy_page(
    request: Request,
    access: SpaceAccess,
    session: Session,
    policy: SpacePolicy | None,
    *,
    values: dict[str, Any] | None = None,
    refusal: Refusal | None = None,
) -> Response:
    """The form of a new policy (`policy` None) or of `policy`; a refusal that names no
    field (the space's limit of policies) is shown above the form."""
    return page(
        request,
        session,
        access,
        "space_policy_form.html",
        status_code=refusal.status_code if refusal else 200,
        tab="settings",
        subtab="policies",
        policy=policy,
        values=values or _policy_values(policy),
        errors=refusal.errors if refusal else {},
        action=f"{_policy_url(access, policy.name)}/edit"
        if policy
        else f"{_policies_url(access)}/new",
    )


def _data(text: str) -> dict[str, Any]:
    """The data textarea: a JSON object (empty: `{}`). Raises InvalidInput."""
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInput(
            f"The data is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno}).",
            field="data",
        ) from None
    if not isinstance(data, dict):
        raise InvalidInput(
            'The data must be a JSON object, such as {"max_minutes": 480}.', field="data"
        )
    return data


def _form_values(name: str, description: str, rego: str, data: str, enabled: str) -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "rego": rego,
        "data": data,
        "enabled": _on(enabled),
    }


@router.get("/spaces/{space}/settings/policies/new")
def new_policy_form(request: Request, access: ManageSpacePolicies, session: SessionDep) -> Response:
    return _policy_page(request, access, session, None)


@router.post("/spaces/{space}/settings/policies/new")
def create_policy(
    request: Request,
    access: ManageSpacePolicies,
    session: SessionDep,
    runtime: RuntimeDep,
    name: Annotated[str, Form(max_length=200)],
    rego: PolicyForm,
    description: DescriptionForm = "",
    data: DataForm = "",
    enabled: EnabledForm = "",
) -> Response:
    rego, description = unix_newlines(rego), unix_newlines(description)
    values = _form_values(name, description, rego, data, enabled)
    policy = submit(
        session,
        lambda: policies.create_policy(
            session,
            runtime.sessions,
            runtime.policies,
            access,
            access.space,
            name=name,
            description=description,
            source=rego,
            data=_data(data),
            enabled=_on(enabled),
        ),
        lambda refusal: _policy_page(
            request, access, session, None, values=values, refusal=refusal
        ),
    )
    if isinstance(policy, Response):
        return policy
    return redirect(_policies_url(access), flash=f"Added the policy {policy.name}.")


@router.get("/spaces/{space}/settings/policies/{name}/edit")
def edit_policy_form(
    request: Request, name: PolicyName, access: ManageSpacePolicies, session: SessionDep
) -> Response:
    policy = policies.get_policy(session, access.space, name)
    return _policy_page(request, access, session, policy)


@router.post("/spaces/{space}/settings/policies/{name}/edit")
def update_policy(
    request: Request,
    name: PolicyName,
    access: ManageSpacePolicies,
    session: SessionDep,
    runtime: RuntimeDep,
    new_name: Annotated[str, Form(alias="name", max_length=200)],
    rego: PolicyForm,
    description: DescriptionForm = "",
    data: DataForm = "",
    enabled: EnabledForm = "",
) -> Response:
    policies.get_policy(session, access.space, name)  # 404 first
    rego, description = unix_newlines(rego), unix_newlines(description)
    values = _form_values(new_name, description, rego, data, enabled)
    policy = submit(
        session,
        lambda: policies.update_policy(
            session,
            runtime.sessions,
            runtime.policies,
            access,
            access.space,
            name,
            new_name=new_name,
            description=description,
            source=rego,
            data=_data(data),
            enabled=_on(enabled),
        ),
        lambda refusal: _policy_page(
            request,
            access,
            session,
            policies.get_policy(session, access.space, name),
            values=values,
            refusal=refusal,
        ),
    )
    if isinstance(policy, Response):
        return policy
    return redirect(_policies_url(access), flash=f"Saved the policy {policy.name}.")


@router.post("/spaces/{space}/settings/policies/{name}/delete")
def delete_policy(name: PolicyName, access: ManageSpacePolicies, session: SessionDep) -> Response:
    policy = policies.get_policy(session, access.space, name)
    shown = policy.name
    policies.delete_policy(session, access, access.space, name)
    return redirect(_policies_url(access), flash=f"Deleted the policy {shown}.")
