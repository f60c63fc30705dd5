"""A space's Settings > Tags and Settings > Policies, and a blueprint's tag values.

- Settings > Tags (MANAGE_SPACE_TAGS): every tag whose value may be set in a space, with
  the value that applies here; set one (a select of its possible values, when it has
  any) or clear it, back to the account's default.
- Settings > Policies (MANAGE_SPACE_POLICIES, for reads too, as the API): the space's
  Rego policies with an Enable / Disable toggle; add, edit (a module that does not
  compile comes back with the compiler's message next to it) and delete.
- A blueprint's tags (MANAGE_BLUEPRINT_TAGS), from the Blueprints tab: as the space's,
  one level down.

The writes are the API's (`spacegate.tags.api`, `spacegate.policies.api`), with the
same guards.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Path, Request, Response
from sqlalchemy.orm import Session

from spacegate.access.guard import SpaceAccess
from spacegate.access.requires import ManageBlueprintTags, ManageSpacePolicies, ManageSpaceTags
from spacegate.blueprints import service as blueprints
from spacegate.deps import RuntimeDep, SessionDep
from spacegate.errors import DomainError, InvalidInput
from spacegate.names import unix_newlines
from spacegate.policies import service as policies
from spacegate.policies.models import SpacePolicy
from spacegate.tags import service as tags
from spacegate.tags import values as tag_values
from spacegate.web.console import Console
from spacegate.web.csrf import verify_csrf
from spacegate.web.forms import form_errors
from spacegate.web.templating import redirect

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])

PolicyName = Annotated[str, Path(max_length=200)]
RepoName = Annotated[str, Path(max_length=200)]
BlueprintName = Annotated[str, Path(max_length=255)]
TagField = Annotated[str, Form(max_length=128)]
ValueField = Annotated[str, Form(max_length=1000)]

NEW_REGO = """package spacegate.max_duration

deny contains msg if {
    input.duration_minutes > data.max_duration_minutes
    msg := sprintf("Environments may run at most %d minutes; %d were asked.",
        [data.max_duration_minutes, input.duration_minutes])
}
"""
NEW_DATA = '{\n  "max_duration_minutes": 480\n}'


def _space_path(access: SpaceAccess) -> str:
    return f"/spaces/{quote(access.space.name, safe='')}"


def _page(
    request: Request,
    access: SpaceAccess,
    session: Session,
    template: str,
    tab: str,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    return Console.of(session, access).page(
        request,
        template,
        {"space": access.space, "tab": tab, **context},
        status_code=status_code,
    )


# -- tag values (a space's, a blueprint's) ---------------------------------------------------


@dataclass(frozen=True)
class TagRow:
    key: str  # names the row's elements (`tag-3`)
    view: tag_values.ValueView


def _rows(views: list[tag_values.ValueView]) -> list[TagRow]:
    return [TagRow(f"tag-{index}", view) for index, view in enumerate(views, start=1)]


def _row_error(rows: list[TagRow], name: str, error: DomainError) -> dict[str, str]:
    key = next((r.key for r in rows if r.view.tag.name_key == name.strip().lower()), "form")
    return {key: error.message}


def _space_tags_page(
    request: Request,
    access: SpaceAccess,
    session: Session,
    *,
    failed: tuple[str, DomainError] | None = None,
    status_code: int = 200,
) -> Response:
    rows = _rows(tag_values.space_tags(session, access.space))
    return _page(
        request,
        access,
        session,
        "space_tag_values.html",
        "settings",
        status_code=status_code,
        subtab="tags",
        level="space",
        rows=rows,
        action=f"{_space_path(access)}/settings/tags",
        errors=_row_error(rows, *failed) if failed else {},
    )


@router.get("/spaces/{space}/settings/tags")
def space_tags_page(request: Request, access: ManageSpaceTags, session: SessionDep) -> Response:
    return _space_tags_page(request, access, session)


@router.post("/spaces/{space}/settings/tags/set")
def set_space_tag(
    request: Request,
    access: ManageSpaceTags,
    session: SessionDep,
    name: TagField,
    value: ValueField = "",
) -> Response:
    try:
        view = tag_values.set_space_tag(session, access, access.space, name, value, create=False)
    except DomainError as error:
        session.rollback()
        return _space_tags_page(
            request, access, session, failed=(name, error), status_code=error.status_code
        )
    return redirect(
        f"{_space_path(access)}/settings/tags",
        flash=f"Tag {view.tag.name} is now {view.value} in {access.space.name}.",
    )


@router.post("/spaces/{space}/settings/tags/clear")
def clear_space_tag(
    request: Request, access: ManageSpaceTags, session: SessionDep, name: TagField
) -> Response:
    try:
        tag_values.unset_space_tag(session, access, access.space, name)
    except DomainError as error:
        session.rollback()
        return _space_tags_page(
            request, access, session, failed=(name, error), status_code=error.status_code
        )
    tag = tags.get_tag(session, access.caller.account_id, name)
    back = f"the default, {tag.value}" if tag.value else "no value"
    return redirect(
        f"{_space_path(access)}/settings/tags",
        flash=f"Cleared tag {tag.name} in {access.space.name}: back to {back}.",
    )


def _blueprint_url(access: SpaceAccess, view: blueprints.BlueprintView) -> str:
    repo, bp = quote(view.repository_name, safe=""), quote(view.blueprint.name, safe="")
    return f"{_space_path(access)}/blueprints/{repo}/{bp}/tags"


def _find_blueprint(
    session: Session, access: SpaceAccess, repo: str, bp: str
) -> blueprints.BlueprintView:
    """The blueprint as the caller sees it (as the API's blueprint tags)."""
    return blueprints.find_visible_blueprint(session, access, access.space, bp, repo)


def _blueprint_tags_page(
    request: Request,
    access: SpaceAccess,
    session: Session,
    view: blueprints.BlueprintView,
    *,
    failed: tuple[str, DomainError] | None = None,
    status_code: int = 200,
) -> Response:
    rows = _rows(tag_values.blueprint_tags(session, access.space, view.blueprint))
    return _page(
        request,
        access,
        session,
        "space_tag_values.html",
        "blueprints",
        status_code=status_code,
        level="blueprint",
        view=view,
        rows=rows,
        action=_blueprint_url(access, view),
        errors=_row_error(rows, *failed) if failed else {},
    )


@router.get("/spaces/{space}/blueprints/{repo}/{bp}/tags")
def blueprint_tags_page(
    request: Request,
    repo: RepoName,
    bp: BlueprintName,
    access: ManageBlueprintTags,
    session: SessionDep,
) -> Response:
    view = _find_blueprint(session, access, repo, bp)
    return _blueprint_tags_page(request, access, session, view)


@router.post("/spaces/{space}/blueprints/{repo}/{bp}/tags/set")
def set_blueprint_tag(
    request: Request,
    repo: RepoName,
    bp: BlueprintName,
    access: ManageBlueprintTags,
    session: SessionDep,
    name: TagField,
    value: ValueField = "",
) -> Response:
    view = _find_blueprint(session, access, repo, bp)
    try:
        result = tag_values.set_blueprint_tag(
            session,
            access,
            access.space,
            view.repository_name,
            view.blueprint,
            name,
            value,
            create=False,
        )
    except DomainError as error:
        session.rollback()
        view = _find_blueprint(session, access, repo, bp)
        return _blueprint_tags_page(
            request, access, session, view, failed=(name, error), status_code=error.status_code
        )
    return redirect(
        _blueprint_url(access, view),
        flash=f"Tag {result.tag.name} is now {result.value} on {view.blueprint.name}.",
    )


@router.post("/spaces/{space}/blueprints/{repo}/{bp}/tags/clear")
def clear_blueprint_tag(
    request: Request,
    repo: RepoName,
    bp: BlueprintName,
    access: ManageBlueprintTags,
    session: SessionDep,
    name: TagField,
) -> Response:
    view = _find_blueprint(session, access, repo, bp)
    try:
        tag_values.unset_blueprint_tag(
            session, access, access.space, view.repository_name, view.blueprint, name
        )
    except DomainError as error:
        session.rollback()
        view = _find_blueprint(session, access, repo, bp)
        return _blueprint_tags_page(
            request, access, session, view, failed=(name, error), status_code=error.status_code
        )
    tag = tags.get_tag(session, access.caller.account_id, name)
    return redirect(
        _blueprint_url(access, view),
        flash=f"Cleared tag {tag.name} on {view.blueprint.name}: the space's value applies.",
    )


# -- policies ----------------------------------------------------------------------------------


def _policies_url(access: SpaceAccess) -> str:
    return f"{_space_path(access)}/settings/policies"


def _policy_url(access: SpaceAccess, name: str) -> str:
    return f"{_policies_url(access)}/{quote(name, safe='')}"


@router.get("/spaces/{space}/settings/policies")
def policies_page(request: Request, access: ManageSpacePolicies, session: SessionDep) -> Response:
    return _page(
        request,
        access,
        session,
        "space_policies.html",
        "settings",
        subtab="policies",
        policies=policies.list_policies(session, access.space),
    )


@router.post("/spaces/{space}/settings/policies/{name}/enabled")
def toggle_policy(
    name: PolicyName,
    access: ManageSpacePolicies,
    session: SessionDep,
    runtime: RuntimeDep,
    enabled: Annotated[str, Form(max_length=8)],
) -> Response:
    on = enabled.strip().lower() in ("true", "on", "1", "yes")
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


def _policy_errors(error: DomainError) -> dict[str, str]:
    return form_errors(error)  # no field: the space's limit of policies


def _policy_values(policy: SpacePolicy | None) -> dict[str, Any]:
    if policy is None:
        return {
            "name": "",
            "description": "",
            "rego": NEW_REGO,
            "data": NEW_DATA,
            "enabled": True,
        }
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
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return _page(
        request,
        access,
        session,
        "space_policy_form.html",
        "settings",
        status_code=status_code,
        subtab="policies",
        policy=policy,
        values=values or _policy_values(policy),
        errors=errors or {},
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


def _on(value: str) -> bool:
    return value.strip().lower() in ("true", "on", "1", "yes")


PolicyForm = Annotated[str, Form(max_length=policies.MAX_REGO)]


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
    description: Annotated[str, Form(max_length=policies.MAX_DESCRIPTION)] = "",
    data: Annotated[str, Form(max_length=policies.MAX_DATA)] = "",
    enabled: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    rego, description = unix_newlines(rego), unix_newlines(description)
    values = {
        "name": name,
        "description": description,
        "rego": rego,
        "data": data,
        "enabled": _on(enabled),
    }
    try:
        policy = policies.create_policy(
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
        )
    except DomainError as error:
        session.rollback()
        errors = _policy_errors(error)
        return _policy_page(
            request,
            access,
            session,
            None,
            values=values,
            errors=errors,
            status_code=error.status_code,
        )
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
    description: Annotated[str, Form(max_length=policies.MAX_DESCRIPTION)] = "",
    data: Annotated[str, Form(max_length=policies.MAX_DATA)] = "",
    enabled: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    policies.get_policy(session, access.space, name)  # 404 first
    rego, description = unix_newlines(rego), unix_newlines(description)
    values = {
        "name": new_name,
        "description": description,
        "rego": rego,
        "data": data,
        "enabled": _on(enabled),
    }
    try:
        policy = policies.update_policy(
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
        )
    except DomainError as error:
        session.rollback()
        errors = _policy_errors(error)
        return _policy_page(
            request,
            access,
            session,
            policies.get_policy(session, access.space, name),
            values=values,
            errors=errors,
            status_code=error.status_code,
        )
    return redirect(_policies_url(access), flash=f"Saved the policy {policy.name}.")


@router.post("/spaces/{space}/settings/policies/{name}/delete")
def delete_policy(name: PolicyName, access: ManageSpacePolicies, session: SessionDep) -> Response:
    policy = policies.get_policy(session, access.space, name)
    shown = policy.name
    policies.delete_policy(session, access, access.space, name)
    return redirect(_policies_url(access), flash=f"Deleted the policy {shown}.")
