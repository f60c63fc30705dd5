"""Blueprint repositories, blueprints and the catalog of a space
(`/api/spaces/{space}/repositories`, `.../blueprints`, `.../catalog`,
`.../validations/blueprints`).

Guards: repositories and their sync need SETUP_BLUEPRINT_REPOSITORIES; publishing and
unpublishing need PUBLISH_BLUEPRINTS; the blueprint list, the catalog and the validation
of a blueprint file need BROWSE_CATALOG. The blueprint list holds every discovered
blueprint for those the service lets see unpublished ones (`sees_unpublished`), and the
catalog's blueprints for everyone else.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import SecretStr

from spacegate.access.requires import (
    BrowseCatalog,
    PublishBlueprints,
    SetupRepositories,
)
from spacegate.blueprints import repositories, service, sync
from spacegate.blueprints.models import Repository
from spacegate.blueprints.schemas import (
    BlueprintErrorOut,
    BlueprintOut,
    CatalogItemOut,
    LastSyncOut,
    PublishRequest,
    RepositoryCreate,
    RepositoryOut,
    RepositoryUpdate,
    SyncOut,
    ValidationOut,
    ValidationRequest,
)
from spacegate.deps import RuntimeDep, SessionDep
from spacegate.pagination import (
    DEFAULT_LIMIT,
    CursorQuery,
    LimitQuery,
    decode_cursor,
    page_by_name,
    set_next_cursor,
)

router = APIRouter(prefix="/api/spaces/{space}", tags=["Blueprints"])

RepoName = Annotated[str, Path(max_length=200, description="The repository's name.")]
BlueprintName = Annotated[str, Path(max_length=255, description="The blueprint's name.")]
RepositoryQuery = Annotated[
    str | None,
    Query(max_length=200, description="The blueprint's repository, when several have the name."),
]


def repository_out(view: repositories.RepositoryView) -> RepositoryOut:
    repository: Repository = view.repository
    last_sync = None
    if repository.last_sync_at is not None and repository.last_sync_status is not None:
        last_sync = LastSyncOut(
            time=repository.last_sync_at,
            status=repository.last_sync_status,
            message=repository.last_sync_message,
            commit=repository.synced_commit,
        )
    return RepositoryOut(
        name=repository.name,
        url=repository.url,
        branch=repository.branch,
        path=repository.path,
        has_token=repository.token_sealed is not None,
        blueprints=view.blueprints,
        created_at=repository.created_at,
        updated_at=repository.updated_at,
        last_sync=last_sync,
    )


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


# -- repositories ------------------------------------------------------------------------


@router.get(
    "/repositories",
    summary="Blueprint repositories of the space",
    response_model=list[RepositoryOut],
)
def list_repositories(
    access: SetupRepositories,
    session: SessionDep,
    response: Response,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> list[RepositoryOut]:
    """The space's repositories by name, paged (`limit`, `cursor`)."""
    views = repositories.list_repositories(session, access.space)
    page = page_by_name(views, lambda view: view.repository.name_key, limit, cursor, response)
    return [repository_out(view) for view in page]


@router.post(
    "/repositories",
    summary="Connect a blueprint repository",
    response_model=RepositoryOut,
    status_code=201,
)
def create_repository(
    body: RepositoryCreate, access: SetupRepositories, session: SessionDep, runtime: RuntimeDep
) -> RepositoryOut:
    """The token is encrypted at rest and never returned. Read the blueprints with
    `POST .../repositories/{repo}/sync`. 422 for a bad field, 409 for a name in use."""
    view = repositories.create_repository(
        session,
        access,
        runtime.settings,
        runtime.box,
        access.space,
        name=body.name,
        url=body.url,
        branch=body.branch,
        path=body.path,
        token=_secret(body.token),
    )
    return repository_out(view)


@router.get("/repositories/{repo}", summary="One repository", response_model=RepositoryOut)
def get_repository(repo: RepoName, access: SetupRepositories, session: SessionDep) -> RepositoryOut:
    repository = repositories.get_repository(session, access.space, repo)
    return repository_out(repositories.repository_view(session, repository))


@router.put("/repositories/{repo}", summary="Change a repository", response_model=RepositoryOut)
def update_repository(
    repo: RepoName,
    body: RepositoryUpdate,
    access: SetupRepositories,
    session: SessionDep,
    runtime: RuntimeDep,
) -> RepositoryOut:
    """Fields left out stay as they are; `token: ""` removes the token. The blueprints
    are read again at the next sync."""
    view = repositories.update_repository(
        session,
        access,
        runtime.settings,
        runtime.box,
        access.space,
        repo,
        new_name=body.name,
        url=body.url,
        branch=body.branch,
        path=body.path,
        token=_secret(body.token),
    )
    return repository_out(view)


@router.delete("/repositories/{repo}", summary="Remove a repository", status_code=204)
def delete_repository(
    repo: RepoName, access: SetupRepositories, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """Its blueprints are removed with it, and so leave the catalog."""
    repositories.delete_repository(session, access, runtime.settings, access.space, repo)
    return Response(status_code=204)


@router.post(
    "/repositories/{repo}/sync", summary="Read the repository's branch head", response_model=SyncOut
)
def sync_repository(
    repo: RepoName, access: SetupRepositories, session: SessionDep, runtime: RuntimeDep
) -> SyncOut:
    """Reads every blueprint file of the folder at the branch head. A repository that
    cannot be read answers 200 with `status: "error"` and a message, and changes
    nothing; files with validation errors are kept, with their errors. The fetch has a
    deadline (SPACEGATE_GIT_FETCH_DEADLINE_SECONDS) and holds no database transaction;
    while another sync of the repository runs, the answer is `status: "running"`."""
    result = sync.sync_repository(
        session, runtime.sessions, access, runtime.settings, runtime.box, access.space, repo
    )
    repository = result.repository
    return SyncOut(
        repository=repository_out(repositories.RepositoryView(repository, result.blueprints)),
        status="running" if result.running else (repository.last_sync_status or "error"),
        message=sync.RUNNING if result.running else repository.last_sync_message,
        commit=repository.synced_commit,
        added=result.added,
        changed=result.changed,
        removed=result.removed,
        in_error=result.in_error,
    )


# -- blueprints and the catalog ----------------------------------------------------------


@router.get(
    "/blueprints",
    summary="The space's blueprints: every discovered one for publishers, the published ones "
    "for everyone else",
    response_model=list[BlueprintOut],
)
def list_blueprints(
    access: BrowseCatalog,
    session: SessionDep,
    response: Response,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
) -> list[BlueprintOut]:
    """With their validation errors and `published`. Holders of PUBLISH_BLUEPRINTS or
    MANAGE_BLUEPRINT_TAGS in the space see every discovered blueprint, published or
    not; everyone else who browses the catalog sees the published ones (what Torque's
    `torque bp list` shows a Space Member). Paginated: when more follow,
    `X-Next-Cursor` holds the next page's cursor."""
    views = service.visible_blueprints(
        session, access, access.space, limit=limit, after_id=decode_cursor(cursor)
    )
    set_next_cursor(response, [view.blueprint.id for view in views], limit)
    return [BlueprintOut.of(view.blueprint, view.repository_name) for view in views]


@router.get(
    "/catalog",
    summary="The space's catalog: published blueprints",
    response_model=list[CatalogItemOut],
)
def catalog(
    access: BrowseCatalog,
    session: SessionDep,
    response: Response,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
) -> list[CatalogItemOut]:
    """Published blueprints with their inputs; a sensitive input's default is withheld."""
    views = service.catalog(session, access.space, limit=limit, after_id=decode_cursor(cursor))
    set_next_cursor(response, [view.blueprint.id for view in views], limit)
    return [CatalogItemOut.of(view.blueprint, view.repository_name) for view in views]


@router.get("/catalog/{bp}", summary="One published blueprint", response_model=CatalogItemOut)
def catalog_item(
    bp: BlueprintName,
    access: BrowseCatalog,
    session: SessionDep,
    repository_name: RepositoryQuery = None,
) -> CatalogItemOut:
    """404 for a blueprint that is not published."""
    view = service.find_in_catalog(session, access.space, bp, repository_name)
    return CatalogItemOut.of(view.blueprint, view.repository_name)


@router.post(
    "/catalog",
    summary="PublishBlueprints a blueprint to the catalog",
    response_model=CatalogItemOut,
)
def publish(body: PublishRequest, access: PublishBlueprints, session: SessionDep) -> CatalogItemOut:
    """409 with the errors (`blueprint_errors`) for a blueprint with validation errors."""
    view = service.publish(session, access, access.space, body.blueprint_name, body.repository_name)
    return CatalogItemOut.of(view.blueprint, view.repository_name)


@router.delete("/catalog/{bp}", summary="Take a blueprint out of the catalog", status_code=204)
def unpublish(
    bp: BlueprintName,
    access: PublishBlueprints,
    session: SessionDep,
    repository_name: RepositoryQuery = None,
) -> Response:
    service.unpublish(session, access, access.space, bp, repository_name)
    return Response(status_code=204)


@router.post(
    "/validations/blueprints",
    summary="Validate a blueprint file (base64 YAML), as Torque's CLI does",
    response_model=ValidationOut,
)
def validate_blueprint(
    body: ValidationRequest, access: BrowseCatalog, session: SessionDep
) -> ValidationOut:
    """Answers `{errors: [...], warnings: [...]}`, each `{message, path?, line?,
    column?}`; no errors means the blueprint is valid. Nothing is stored."""
    result = service.validate(session, access.space, body.blueprint_name, body.blueprint_raw_64)
    return ValidationOut(
        errors=[BlueprintErrorOut(**error) for error in result.errors],
        warnings=[BlueprintErrorOut(**warning) for warning in result.warnings],
    )
