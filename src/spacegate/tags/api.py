"""Tags: account definitions (`/api/settings/tags`, `/api/settings/tags_limit`), space
values (`/api/spaces/{space}/settings/tags`) and blueprint values
(`/api/spaces/{space}/repositories/{repo}/blueprints/{bp}/settings/tags`).

Guards: definitions are read by any signed-in user of the account and written with
MANAGE_ACCOUNT_TAGS, as is the limit; space values are read with VIEW_SPACE and written
with MANAGE_SPACE_TAGS; blueprint values are read with BROWSE_CATALOG (a caller who can
neither publish nor manage blueprint tags sees only published blueprints, as in the
catalog) and written with MANAGE_BLUEPRINT_TAGS, for any discovered blueprint.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy.orm import Session

from spacegate.access.guard import SpaceAccess
from spacegate.access.requires import (
    BrowseCatalog,
    ManageAccountTags,
    ManageBlueprintTags,
    ManageSpaceTags,
    SignedInAccess,
    ViewSpace,
)
from spacegate.blueprints import service as blueprints
from spacegate.deps import SessionDep
from spacegate.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, page_by_name
from spacegate.tags import rules, service, values
from spacegate.tags.schemas import (
    TagCreate,
    TagLimitOut,
    TagOut,
    TagUpdate,
    TagValueCreate,
    TagValueOut,
    TagValueSet,
)

router = APIRouter(tags=["Tags"])

TagName = Annotated[str, Path(max_length=128, description="The tag's name.")]
RepoName = Annotated[str, Path(max_length=200, description="The repository's name.")]
BlueprintName = Annotated[str, Path(max_length=255, description="The blueprint's name.")]

SPACE_TAGS = "/api/spaces/{space}/settings/tags"
BLUEPRINT_TAGS = "/api/spaces/{space}/repositories/{repo}/blueprints/{bp}/settings/tags"


def value_out(view: values.ValueView) -> TagValueOut:
    tag = view.tag
    return TagValueOut(
        name=tag.name,
        value=view.value,
        set_at=view.set_at,
        scope=tag.scope,
        description=tag.description,
        possible_values=list(tag.possible_values),
    )


# -- definitions ---------------------------------------------------------------------------


@router.get("/api/settings/tags", summary="The account's tags", response_model=list[TagOut])
def list_tags(
    access: SignedInAccess,
    session: SessionDep,
    response: Response,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> list[TagOut]:
    """The account's tags by name, paged (`limit`, `cursor`)."""
    tags = service.list_tags(session, access.caller.account_id)
    page = page_by_name(tags, lambda tag: tag.name_key, limit, cursor, response)
    return [TagOut.of(tag) for tag in page]


@router.post("/api/settings/tags", summary="Define a tag", response_model=TagOut, status_code=201)
def create_tag(body: TagCreate, access: ManageAccountTags, session: SessionDep) -> TagOut:
    """422 for a bad field (a reserved `spacegate-` name, a default outside the
    possible values), 409 for a name in use or when the account has its limit of tags."""
    tag = service.create_tag(
        session,
        access,
        name=body.name,
        value=body.value,
        scope=body.scope,
        description=body.description,
        possible_values=body.possible_values,
    )
    return TagOut.of(tag)


@router.get("/api/settings/tags/{name}", summary="One tag", response_model=TagOut)
def get_tag(name: TagName, access: SignedInAccess, session: SessionDep) -> TagOut:
    return TagOut.of(service.get_tag(session, access.caller.account_id, name))


@router.put("/api/settings/tags/{name}", summary="Change a tag", response_model=TagOut)
def update_tag(
    name: TagName, body: TagUpdate, access: ManageAccountTags, session: SessionDep
) -> TagOut:
    """Fields left out stay as they are. 409, naming them, when values set in spaces or
    on blueprints would fall outside the new scope or possible values."""
    tag = service.update_tag(
        session,
        access,
        name,
        new_name=body.name,
        value=body.value,
        scope=body.scope,
        description=body.description,
        possible_values=body.possible_values,
    )
    return TagOut.of(tag)


@router.delete("/api/settings/tags/{name}", summary="Delete a tag", status_code=204)
def delete_tag(name: TagName, access: ManageAccountTags, session: SessionDep) -> Response:
    """Its values in spaces and on blueprints go with it."""
    service.delete_tag(session, access, name)
    return Response(status_code=204)


@router.get(
    "/api/settings/tags_limit",
    summary="The account's limit on tag definitions",
    response_model=TagLimitOut,
)
def get_tag_limit(access: SignedInAccess, session: SessionDep) -> TagLimitOut:
    view = service.get_limit(session, access.caller.account_id)
    return TagLimitOut(value=view.limit, used=view.used)


@router.put(
    "/api/settings/tags_limit",
    summary="Set the account's limit on tag definitions",
    response_model=TagLimitOut,
)
def set_tag_limit(
    access: ManageAccountTags,
    session: SessionDep,
    value: Annotated[int, Query(description="The new limit, 1 to 1000.")],
) -> TagLimitOut:
    """409 below the number of tags already defined."""
    view = service.set_limit(session, access, value)
    return TagLimitOut(value=view.limit, used=view.used)


# -- space values --------------------------------------------------------------------------


@router.get(SPACE_TAGS, summary="Tags of the space", response_model=list[TagValueOut])
def list_space_tags(
    access: ViewSpace,
    session: SessionDep,
    response: Response,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> list[TagValueOut]:
    """Every tag whose value may be set in a space (scope `space` or lower), with the
    value that applies in this space and where it is set; by name, paged."""
    views = values.space_tags(session, access.space)
    page = page_by_name(views, lambda view: view.tag.name_key, limit, cursor, response)
    return [value_out(view) for view in page]


@router.post(
    SPACE_TAGS,
    summary="Set a tag's value in the space",
    response_model=TagValueOut,
    status_code=201,
)
def create_space_tag(
    body: TagValueCreate, access: ManageSpaceTags, session: SessionDep
) -> TagValueOut:
    """404 for an unknown tag; 422 when the tag's scope does not allow space values or
    the value is not a possible one; 409 when the space has a value already (PUT)."""
    view = values.set_space_tag(session, access, access.space, body.name, body.value, create=True)
    return value_out(view)


@router.get(f"{SPACE_TAGS}/{{name}}", summary="One tag in the space", response_model=TagValueOut)
def get_space_tag(name: TagName, access: ViewSpace, session: SessionDep) -> TagValueOut:
    return value_out(values.space_tag(session, access.space, name))


@router.put(
    f"{SPACE_TAGS}/{{name}}", summary="Set a tag's value in the space", response_model=TagValueOut
)
def set_space_tag(
    name: TagName, body: TagValueSet, access: ManageSpaceTags, session: SessionDep
) -> TagValueOut:
    rules.check_body_name(name, body.name)
    view = values.set_space_tag(session, access, access.space, name, body.value, create=False)
    return value_out(view)


@router.delete(
    f"{SPACE_TAGS}/{{name}}", summary="Remove the space's value of a tag", status_code=204
)
def unset_space_tag(name: TagName, access: ManageSpaceTags, session: SessionDep) -> Response:
    """The space goes back to the tag's default."""
    values.unset_space_tag(session, access, access.space, name)
    return Response(status_code=204)


# -- blueprint values ----------------------------------------------------------------------


def _blueprint(
    session: Session, access: SpaceAccess, repo: str, bp: str
) -> blueprints.BlueprintView:
    """The blueprint as the caller sees it: those who see unpublished blueprints (tag
    managers among them) read and set the tags of any; others of the catalog's only."""
    return blueprints.find_visible_blueprint(session, access, access.space, bp, repo)


@router.get(BLUEPRINT_TAGS, summary="Tags of a blueprint", response_model=list[TagValueOut])
def list_blueprint_tags(
    repo: RepoName,
    bp: BlueprintName,
    access: BrowseCatalog,
    session: SessionDep,
    response: Response,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> list[TagValueOut]:
    """Every tag whose value may be set on a blueprint (scope `blueprint` or
    `environment`), with the value that applies to it and where it is set; by name,
    paged."""
    view = _blueprint(session, access, repo, bp)
    views = values.blueprint_tags(session, access.space, view.blueprint)
    page = page_by_name(views, lambda v: v.tag.name_key, limit, cursor, response)
    return [value_out(v) for v in page]


@router.post(
    BLUEPRINT_TAGS,
    summary="Set a tag's value on a blueprint",
    response_model=TagValueOut,
    status_code=201,
)
def create_blueprint_tag(
    repo: RepoName,
    bp: BlueprintName,
    body: TagValueCreate,
    access: ManageBlueprintTags,
    session: SessionDep,
) -> TagValueOut:
    """As for a space; the blueprint may be published or not."""
    view = _blueprint(session, access, repo, bp)
    result = values.set_blueprint_tag(
        session,
        access,
        access.space,
        view.repository_name,
        view.blueprint,
        body.name,
        body.value,
        create=True,
    )
    return value_out(result)


@router.get(
    f"{BLUEPRINT_TAGS}/{{name}}", summary="One tag of a blueprint", response_model=TagValueOut
)
def get_blueprint_tag(
    repo: RepoName, bp: BlueprintName, name: TagName, access: BrowseCatalog, session: SessionDep
) -> TagValueOut:
    view = _blueprint(session, access, repo, bp)
    return value_out(values.blueprint_tag(session, access.space, view.blueprint, name))


@router.put(
    f"{BLUEPRINT_TAGS}/{{name}}",
    summary="Set a tag's value on a blueprint",
    response_model=TagValueOut,
)
def set_blueprint_tag(
    repo: RepoName,
    bp: BlueprintName,
    name: TagName,
    body: TagValueSet,
    access: ManageBlueprintTags,
    session: SessionDep,
) -> TagValueOut:
    rules.check_body_name(name, body.name)
    view = _blueprint(session, access, repo, bp)
    result = values.set_blueprint_tag(
        session,
        access,
        access.space,
        view.repository_name,
        view.blueprint,
        name,
        body.value,
        create=False,
    )
    return value_out(result)


@router.delete(
    f"{BLUEPRINT_TAGS}/{{name}}",
    summary="Remove a blueprint's value of a tag",
    status_code=204,
)
def unset_blueprint_tag(
    repo: RepoName,
    bp: BlueprintName,
    name: TagName,
    access: ManageBlueprintTags,
    session: SessionDep,
) -> Response:
    """The blueprint goes back to the space's value or the default."""
    view = _blueprint(session, access, repo, bp)
    values.unset_blueprint_tag(
        session, access, access.space, view.repository_name, view.blueprint, name
    )
    return Response(status_code=204)
