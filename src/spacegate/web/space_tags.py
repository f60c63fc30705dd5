"""A space's Settings > Tags (MANAGE_SPACE_TAGS) and a blueprint's tags
(MANAGE_BLUEPRINT_TAGS, from the Blueprints tab): every tag whose value may be set at
that level, with the value that applies; set one (a select of its possible values, when
it has any) or clear it, back to the value of the level above.

The writes are the API's (`spacegate.tags.api`), with the same guards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Path, Request, Response
from sqlalchemy.orm import Session

from spacegate.access.guard import SpaceAccess
from spacegate.access.requires import ManageBlueprintTags, ManageSpaceTags
from spacegate.blueprints import service as blueprints
from spacegate.deps import SessionDep
from spacegate.tags import service as tags
from spacegate.tags import values as tag_values
from spacegate.web.console import page
from spacegate.web.csrf import verify_csrf
from spacegate.web.forms import Refusal, submit
from spacegate.web.templating import redirect

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])

RepoName = Annotated[str, Path(max_length=200)]
BlueprintName = Annotated[str, Path(max_length=255)]
TagField = Annotated[str, Form(max_length=128)]
ValueField = Annotated[str, Form(max_length=1000)]


def space_path(access: SpaceAccess) -> str:
    return f"/spaces/{quote(access.space.name, safe='')}"


@dataclass(frozen=True)
class TagRow:
    key: str  # names the row's elements (`tag-3`)
    view: tag_values.ValueView


def _rows(views: list[tag_values.ValueView]) -> list[TagRow]:
    return [TagRow(f"tag-{index}", view) for index, view in enumerate(views, start=1)]


def _row_errors(rows: list[TagRow], failed: tuple[str, Refusal] | None) -> dict[str, str]:
    """A refusal is about the row of the tag it was sent for (each row is a form)."""
    if failed is None:
        return {}
    name, refusal = failed
    key = next((r.key for r in rows if r.view.tag.name_key == name.strip().lower()), "form")
    return {key: refusal.message}


# -- a space's tags ----------------------------------------------------------------------------


def _space_tags_page(
    request: Request,
    access: SpaceAccess,
    session: Session,
    *,
    failed: tuple[str, Refusal] | None = None,
) -> Response:
    rows = _rows(tag_values.space_tags(session, access.space))
    return page(
        request,
        session,
        access,
        "space_tag_values.html",
        status_code=failed[1].status_code if failed else 200,
        tab="settings",
        subtab="tags",
        level="space",
        rows=rows,
        action=f"{space_path(access)}/settings/tags",
        errors=_row_errors(rows, failed),
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
    view = submit(
        session,
        lambda: tag_values.set_space_tag(session, access, access.space, name, value, create=False),
        lambda refusal: _space_tags_page(request, access, session, failed=(name, refusal)),
    )
    if isinstance(view, Response):
        return view
    return redirect(
        f"{space_path(access)}/settings/tags",
        flash=f"Tag {view.tag.name} is now {view.value} in {access.space.name}.",
    )


@router.post("/spaces/{space}/settings/tags/clear")
def clear_space_tag(
    request: Request, access: ManageSpaceTags, session: SessionDep, name: TagField
) -> Response:
    done = submit(
        session,
        lambda: tag_values.unset_space_tag(session, access, access.space, name),
        lambda refusal: _space_tags_page(request, access, session, failed=(name, refusal)),
    )
    if isinstance(done, Response):
        return done
    tag = tags.get_tag(session, access.caller.account_id, name)
    back = f"the default, {tag.value}" if tag.value else "no value"
    return redirect(
        f"{space_path(access)}/settings/tags",
        flash=f"Cleared tag {tag.name} in {access.space.name}: back to {back}.",
    )


# -- a blueprint's tags ------------------------------------------------------------------------


def _blueprint_url(access: SpaceAccess, view: blueprints.BlueprintView) -> str:
    repo, bp = quote(view.repository_name, safe=""), quote(view.blueprint.name, safe="")
    return f"{space_path(access)}/blueprints/{repo}/{bp}/tags"


def _find_blueprint(
    session: Session, access: SpaceAccess, repo: str, bp: str
) -> blueprints.BlueprintView:
    """The blueprint as the caller sees it (as the API's blueprint tags)."""
    return blueprints.find_visible_blueprint(session, access, access.space, bp, repo)


def _blueprint_tags_page(
    request: Request,
    access: SpaceAccess,
    session: Session,
    repo: str,
    bp: str,
    *,
    failed: tuple[str, Refusal] | None = None,
) -> Response:
    view = _find_blueprint(session, access, repo, bp)
    rows = _rows(tag_values.blueprint_tags(session, access.space, view.blueprint))
    return page(
        request,
        session,
        access,
        "space_tag_values.html",
        status_code=failed[1].status_code if failed else 200,
        tab="blueprints",
        level="blueprint",
        view=view,
        rows=rows,
        action=_blueprint_url(access, view),
        errors=_row_errors(rows, failed),
    )


@router.get("/spaces/{space}/blueprints/{repo}/{bp}/tags")
def blueprint_tags_page(
    request: Request,
    repo: RepoName,
    bp: BlueprintName,
    access: ManageBlueprintTags,
    session: SessionDep,
) -> Response:
    return _blueprint_tags_page(request, access, session, repo, bp)


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
    result = submit(
        session,
        lambda: tag_values.set_blueprint_tag(
            session,
            access,
            access.space,
            view.repository_name,
            view.blueprint,
            name,
            value,
            create=False,
        ),
        lambda refusal: _blueprint_tags_page(
            request, access, session, repo, bp, failed=(name, refusal)
        ),
    )
    if isinstance(result, Response):
        return result
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
    done = submit(
        session,
        lambda: tag_values.unset_blueprint_tag(
            session, access, access.space, view.repository_name, view.blueprint, name
        ),
        lambda refusal: _blueprint_tags_page(
            request, access, session, repo, bp, failed=(name, refusal)
        ),
    )
    if isinstance(done, Response):
        return done
    tag = tags.get_tag(session, access.caller.account_id, name)
    return redirect(
        _blueprint_url(access, view),
        flash=f"Cleared tag {tag.name} on {view.blueprint.name}: the space's value applies.",
    )
