"""Administration > Tags (MANAGE_ACCOUNT_TAGS, the guard of the API's writes): the
account's tag definitions, their create / edit form (name, default value, scope,
description, possible values one per line), deletion, and the account's limit on tag
definitions."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Path, Request, Response
from sqlalchemy.orm import Session

from spacegate.access.requires import ManageAccountTags
from spacegate.deps import SessionDep
from spacegate.grants.context import Access
from spacegate.names import unix_newlines
from spacegate.tags import rules as tag_rules
from spacegate.tags import service
from spacegate.tags.models import TagDefinition
from spacegate.web.console import page
from spacegate.web.csrf import verify_csrf
from spacegate.web.forms import Refusal, back_to, submit
from spacegate.web.templating import redirect

router = APIRouter(prefix="/admin", include_in_schema=False, dependencies=[Depends(verify_csrf)])

TagName = Annotated[str, Path(max_length=128)]

LIST_URL = "/admin/tags"
SCOPE_HINTS = {
    tag_rules.Scope.ACCOUNT: "only the default below",
    tag_rules.Scope.SPACE: "the default, or a space's value",
    tag_rules.Scope.BLUEPRINT: "the default, a space's or a blueprint's value",
    tag_rules.Scope.ENVIRONMENT: "the default, a space's, a blueprint's, or one given at launch",
}
MAX_POSSIBLE_TEXT = tag_rules.MAX_POSSIBLE_VALUES * (tag_rules.MAX_VALUE + 2)


def _list_page(
    request: Request,
    access: Access,
    session: Session,
    *,
    limit_value: str | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    account_id = access.caller.account_id
    limit = service.get_limit(session, account_id)
    return page(
        request,
        session,
        access,
        "admin_tags.html",
        nav="tags",
        status_code=status_code,
        tags=service.list_tags(session, account_id),
        limit=limit,
        limit_value=limit_value if limit_value is not None else str(limit.limit),
        max_limit=tag_rules.MAX_TAGS_LIMIT,
        errors=errors or {},
        system_tags=tag_rules.SYSTEM_TAG_NAMES,
    )


@router.get("/tags")
def tags_page(request: Request, access: ManageAccountTags, session: SessionDep) -> Response:
    return _list_page(request, access, session)


@router.post("/tags/limit")
def set_limit(
    request: Request,
    access: ManageAccountTags,
    session: SessionDep,
    value: Annotated[str, Form(max_length=16)],
) -> Response:
    text = value.strip()
    if not text.isdigit():
        message = f"The tag limit must be a whole number from 1 to {tag_rules.MAX_TAGS_LIMIT}."
        return _list_page(
            request, access, session, limit_value=value, errors={"limit": message}, status_code=422
        )
    view = submit(
        session,
        lambda: service.set_limit(session, access, int(text)),
        lambda refusal: _list_page(
            request,
            access,
            session,
            limit_value=value,
            errors=refusal.errors,
            status_code=refusal.status_code,
        ),
        default="limit",
    )
    if isinstance(view, Response):
        return view
    return redirect(
        LIST_URL, flash=f"The account may now define up to {view.limit} tags ({view.used} in use)."
    )


# -- a definition's form -------------------------------------------------------------------


def _possible(text: str) -> list[str]:
    """One per line; blank lines left out."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def _values(tag: TagDefinition | None) -> dict[str, str]:
    if tag is None:
        return {
            "name": "",
            "value": "",
            "scope": tag_rules.Scope.ENVIRONMENT.value,
            "description": "",
            "possible_values": "",
        }
    return {
        "name": tag.name,
        "value": tag.value,
        "scope": tag.scope,
        "description": tag.description,
        "possible_values": "\n".join(tag.possible_values),
    }


def _form_page(
    request: Request,
    access: Access,
    session: Session,
    tag: TagDefinition | None,
    *,
    values: dict[str, str] | None = None,
    refusal: Refusal | None = None,
) -> Response:
    """The form of a new tag (`tag` None) or of `tag`; a refusal that names no field
    (the limit, values a change would strand) is shown above the form."""
    return page(
        request,
        session,
        access,
        "admin_tag_form.html",
        status_code=refusal.status_code if refusal else 200,
        nav="tags",
        tag=tag,
        values=values or _values(tag),
        errors=refusal.errors if refusal else {},
        scopes=[(scope.value, SCOPE_HINTS[scope]) for scope in tag_rules.Scope],
        action=f"{LIST_URL}/{quote(tag.name, safe='')}/edit" if tag else f"{LIST_URL}/new",
    )


NameField = Annotated[str, Form(max_length=1000)]
ValueField = Annotated[str, Form(max_length=1000)]
ScopeField = Annotated[str, Form(max_length=32)]
DescriptionField = Annotated[str, Form(max_length=tag_rules.MAX_DESCRIPTION + 100)]
PossibleField = Annotated[str, Form(max_length=MAX_POSSIBLE_TEXT)]


@router.get("/tags/new")
def new_tag_form(request: Request, access: ManageAccountTags, session: SessionDep) -> Response:
    return _form_page(request, access, session, None)


@router.post("/tags/new")
def create_tag(
    request: Request,
    access: ManageAccountTags,
    session: SessionDep,
    name: NameField,
    scope: ScopeField,
    value: ValueField = "",
    description: DescriptionField = "",
    possible_values: PossibleField = "",
) -> Response:
    description = unix_newlines(description)
    values = {
        "name": name,
        "value": value,
        "scope": scope,
        "description": description,
        "possible_values": possible_values,
    }
    tag = submit(
        session,
        lambda: service.create_tag(
            session,
            access,
            name=name,
            value=value,
            scope=scope,
            description=description,
            possible_values=_possible(possible_values),
        ),
        lambda refusal: _form_page(request, access, session, None, values=values, refusal=refusal),
    )
    if isinstance(tag, Response):
        return tag
    return redirect(LIST_URL, flash=f"Defined the tag {tag.name} (scope {tag.scope}).")


@router.get("/tags/{name}/edit")
def edit_tag_form(
    request: Request, name: TagName, access: ManageAccountTags, session: SessionDep
) -> Response:
    tag = service.get_tag(session, access.caller.account_id, name)
    return _form_page(request, access, session, tag)


@router.post("/tags/{name}/edit")
def update_tag(
    request: Request,
    name: TagName,
    access: ManageAccountTags,
    session: SessionDep,
    new_name: Annotated[str, Form(alias="name", max_length=1000)],
    scope: ScopeField,
    value: ValueField = "",
    description: DescriptionField = "",
    possible_values: PossibleField = "",
) -> Response:
    service.get_tag(session, access.caller.account_id, name)  # 404 first
    description = unix_newlines(description)
    values = {
        "name": new_name,
        "value": value,
        "scope": scope,
        "description": description,
        "possible_values": possible_values,
    }
    tag = submit(
        session,
        lambda: service.update_tag(
            session,
            access,
            name,
            new_name=new_name,
            value=value,
            scope=scope,
            description=description,
            possible_values=_possible(possible_values),
        ),
        lambda refusal: _form_page(
            request,
            access,
            session,
            service.get_tag(session, access.caller.account_id, name),
            values=values,
            refusal=refusal,
        ),
    )
    if isinstance(tag, Response):
        return tag
    return redirect(LIST_URL, flash=f"Saved the tag {tag.name}.")


@router.post("/tags/{name}/delete")
def delete_tag(name: TagName, access: ManageAccountTags, session: SessionDep) -> Response:
    shown = service.get_tag(session, access.caller.account_id, name).name
    done = submit(session, lambda: service.delete_tag(session, access, name), back_to(LIST_URL))
    if isinstance(done, Response):
        return done
    return redirect(
        LIST_URL, flash=f"Deleted the tag {shown} with its values in spaces and on blueprints."
    )
