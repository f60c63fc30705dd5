"""A space's Catalog, Blueprints and Repositories tabs.

- Catalog (BROWSE_CATALOG): the published blueprints with their inputs; a sensitive
  input's default never reaches the page.
- Blueprints (PUBLISH_BLUEPRINTS or MANAGE_BLUEPRINT_TAGS): every blueprint the syncs
  found, published or not, with its validation errors; PublishBlueprints and Unpublish for
  holders of PUBLISH_BLUEPRINTS.
- Repositories (SETUP_BLUEPRINT_REPOSITORIES): connect a git repository (its token is
  write-only), sync it, remove it after a confirmation step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Path, Query, Request, Response
from sqlalchemy.orm import Session

from spacegate.access.guard import SpaceAccess
from spacegate.access.requires import (
    BrowseCatalog,
    PublishBlueprints,
    SeeBlueprints,
    SetupRepositories,
)
from spacegate.blueprints import repositories, service, sync
from spacegate.blueprints.schemas import InputOut
from spacegate.deps import RuntimeDep, SessionDep
from spacegate.errors import DomainError
from spacegate.pagination import MAX_ID
from spacegate.runtime import Runtime
from spacegate.web.confirm import ConfirmedField, ask, confirmed
from spacegate.web.console import page
from spacegate.web.csrf import verify_csrf
from spacegate.web.forms import Refusal, back_to, empty_fields, submit
from spacegate.web.templating import redirect

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])

RepoName = Annotated[str, Path(max_length=200)]
After = Annotated[int | None, Query(ge=0, le=MAX_ID, description="Show what comes after this id.")]
BlueprintField = Annotated[str, Form(max_length=255)]
RepositoryField = Annotated[str, Form(max_length=200)]

PAGE_SIZE = 50


def _space_url(access: SpaceAccess, tab: str) -> str:
    return f"/spaces/{quote(access.space.name, safe='')}/{tab}"


@dataclass(frozen=True)
class Page:
    """One page of blueprints: `next_after` is the cursor of the next page, if any."""

    views: list[service.BlueprintView]
    next_after: int | None
    first: bool


def _page_of(views: list[service.BlueprintView], after: int | None) -> Page:
    """`views` holds up to PAGE_SIZE + 1 rows: one more means another page follows."""
    more = len(views) > PAGE_SIZE
    views = views[:PAGE_SIZE]
    return Page(views, views[-1].blueprint.id if more else None, after is None)


# -- Catalog -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogItem:
    view: service.BlueprintView
    inputs: list[InputOut]  # the API's shape: a sensitive input's default is withheld


@router.get("/spaces/{space}/catalog")
def catalog_page(
    request: Request, access: BrowseCatalog, session: SessionDep, after: After = None
) -> Response:
    found = _page_of(
        service.catalog(session, access.space, limit=PAGE_SIZE + 1, after_id=after), after
    )
    items = [
        CatalogItem(view, [InputOut.of(data) for data in view.blueprint.inputs])
        for view in found.views
    ]
    return page(
        request, session, access, "space_catalog.html", tab="catalog", items=items, page=found
    )


# -- Blueprints ----------------------------------------------------------------------------


def _blueprints_page(
    request: Request,
    access: SpaceAccess,
    session: Session,
    *,
    after: int | None = None,
    refusal: DomainError | None = None,
    status_code: int = 200,
) -> Response:
    found = _page_of(
        service.visible_blueprints(
            session, access, access.space, limit=PAGE_SIZE + 1, after_id=after
        ),
        after,
    )
    message = refusal.message if refusal else ""
    if isinstance(refusal, service.BlueprintInvalid):
        # Its message repeats the first errors; the page lists them all below instead.
        message = message.split(" and cannot be published", 1)[0] + (
            " and cannot be published. Fix the file, then sync the repository again."
        )
    return page(
        request,
        session,
        access,
        "space_blueprints.html",
        status_code=status_code,
        tab="blueprints",
        page=found,
        refusal=refusal,
        refusal_message=message,
        refusal_errors=refusal.details.get("blueprint_errors", []) if refusal else [],
    )


def _blueprints_refused(
    request: Request, access: SpaceAccess, session: Session, refusal: Refusal
) -> Response:
    return _blueprints_page(
        request, access, session, refusal=refusal.error, status_code=refusal.status_code
    )


@router.get("/spaces/{space}/blueprints")
def blueprints_page(
    request: Request, access: SeeBlueprints, session: SessionDep, after: After = None
) -> Response:
    return _blueprints_page(request, access, session, after=after)


@router.post("/spaces/{space}/blueprints/publish")
def publish(
    request: Request,
    access: PublishBlueprints,
    session: SessionDep,
    blueprint_name: BlueprintField,
    repository_name: RepositoryField = "",
) -> Response:
    # A blueprint with validation errors (409) says which; the page shows them.
    view = submit(
        session,
        lambda: service.publish(
            session, access, access.space, blueprint_name, repository_name or None
        ),
        lambda refusal: _blueprints_refused(request, access, session, refusal),
    )
    if isinstance(view, Response):
        return view
    return redirect(
        _space_url(access, "blueprints"),
        flash=f"Published {view.blueprint.name} to the catalog of {access.space.name}.",
    )


@router.post("/spaces/{space}/blueprints/unpublish")
def unpublish(
    request: Request,
    access: PublishBlueprints,
    session: SessionDep,
    blueprint_name: BlueprintField,
    repository_name: RepositoryField = "",
    confirmed_: ConfirmedField = "",
) -> Response:
    if not confirmed(confirmed_):
        return ask(
            request,
            session,
            access,
            tab="blueprints",
            title=f"Unpublish {blueprint_name}?",
            question=f"It leaves the catalog of {access.space.name}: nobody can launch it "
            "from there until it is published again. Running environments are not touched.",
            action=_space_url(access, "blueprints/unpublish"),
            fields={"blueprint_name": blueprint_name, "repository_name": repository_name},
            button="Unpublish",
            cancel=_space_url(access, "blueprints"),
        )
    done = submit(
        session,
        lambda: service.unpublish(
            session, access, access.space, blueprint_name, repository_name or None
        ),
        lambda refusal: _blueprints_refused(request, access, session, refusal),
    )
    if isinstance(done, Response):
        return done
    return redirect(
        _space_url(access, "blueprints"),
        flash=f"Took {blueprint_name} out of the catalog of {access.space.name}.",
    )


# -- Repositories --------------------------------------------------------------------------

DEFAULT_VALUES = {"name": "", "url": "", "branch": "main", "path": repositories.DEFAULT_FOLDER}


def _repositories_page(
    request: Request,
    access: SpaceAccess,
    session: Session,
    runtime: Runtime,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return page(
        request,
        session,
        access,
        "space_repositories.html",
        status_code=status_code,
        tab="repositories",
        repositories=repositories.list_repositories(session, access.space),
        values=values or DEFAULT_VALUES,
        errors=errors or {},
        local_repositories=runtime.settings.local_repositories,
    )


@router.get("/spaces/{space}/repositories")
def repositories_page(
    request: Request, access: SetupRepositories, session: SessionDep, runtime: RuntimeDep
) -> Response:
    return _repositories_page(request, access, session, runtime)


@router.post("/spaces/{space}/repositories")
def connect_repository(
    request: Request,
    access: SetupRepositories,
    session: SessionDep,
    runtime: RuntimeDep,
    name: Annotated[str, Form(max_length=200)] = "",  # empty: reported with the others
    url: Annotated[str, Form(max_length=1000)] = "",
    branch: Annotated[str, Form(max_length=255)] = "main",
    path: Annotated[str, Form(max_length=500)] = repositories.DEFAULT_FOLDER,
    token: Annotated[str, Form(max_length=repositories.MAX_TOKEN_LENGTH)] = "",
) -> Response:
    values = {"name": name, "url": url, "branch": branch, "path": path}
    empty = empty_fields(
        {"name": (name, "a name"), "url": (url, "the git URL"), "branch": (branch, "a branch")}
    )
    if empty:
        return _repositories_page(
            request, access, session, runtime, values=values, errors=empty, status_code=422
        )
    view = submit(
        session,
        lambda: repositories.create_repository(
            session,
            access,
            runtime.settings,
            runtime.box,
            access.space,
            name=name,
            url=url,
            branch=branch,
            path=path,
            token=token or None,
        ),
        lambda refusal: _repositories_page(
            request,
            access,
            session,
            runtime,
            values=values,
            errors=refusal.errors,
            status_code=refusal.status_code,
        ),
        default="url",
    )
    if isinstance(view, Response):
        return view
    # Read its blueprints at once: a repository is connected to be used.
    result = sync.sync_repository(
        session,
        runtime.sessions,
        access,
        runtime.settings,
        runtime.box,
        access.space,
        view.repository.name,
    )
    return redirect(
        _space_url(access, "repositories"),
        flash=f"Connected the repository {view.repository.name}. {_sync_flash(result)}",
    )


def _few(names: list[str], shown: int = 4) -> str:
    """`a, b, c` or `a, b, c, d and 7 more`: a flash message stays short."""
    if len(names) <= shown:
        return ", ".join(names)
    return f"{', '.join(names[:shown])} and {len(names) - shown} more"


def _sync_flash(result: sync.SyncResult) -> str:
    repository = result.repository
    if result.running:
        return f"{repository.name}: {sync.RUNNING}"
    if repository.last_sync_status != "ok":
        return f"Sync of {repository.name} failed: {repository.last_sync_message}"
    commit = (repository.synced_commit or "")[:12]
    changes = ", ".join(
        f"{what} {_few(names)}"
        for what, names in (
            ("added", result.added),
            ("changed", result.changed),
            ("removed", result.removed),
        )
        if names
    )
    return f"Synced {repository.name} at {commit}: {repository.last_sync_message}" + (
        f" ({changes})" if changes else " No changes."
    )


@router.post("/spaces/{space}/repositories/{repo}/sync")
def sync_repository(
    repo: RepoName, access: SetupRepositories, session: SessionDep, runtime: RuntimeDep
) -> Response:
    result = sync.sync_repository(
        session, runtime.sessions, access, runtime.settings, runtime.box, access.space, repo
    )
    return redirect(_space_url(access, "repositories"), flash=_sync_flash(result))


@router.get("/spaces/{space}/repositories/{repo}/remove")
def remove_confirmation(
    request: Request, repo: RepoName, access: SetupRepositories, session: SessionDep
) -> Response:
    repository = repositories.get_repository(session, access.space, repo)
    view = repositories.repository_view(session, repository)
    published = repositories.published_blueprint_names(session, repository)
    return page(
        request,
        session,
        access,
        "space_repository_remove.html",
        tab="repositories",
        repository=repository,
        blueprints=view.blueprints,
        published=published,
    )


@router.post("/spaces/{space}/repositories/{repo}/remove")
def remove_repository(
    repo: RepoName, access: SetupRepositories, session: SessionDep, runtime: RuntimeDep
) -> Response:
    name = repositories.get_repository(session, access.space, repo).name
    done = submit(
        session,
        lambda: repositories.delete_repository(
            session, access, runtime.settings, access.space, repo
        ),
        back_to(_space_url(access, "repositories")),
    )
    if isinstance(done, Response):
        return done
    return redirect(
        _space_url(access, "repositories"),
        flash=f"Removed the repository {name}; its blueprints left the catalog.",
    )
