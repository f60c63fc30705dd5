"""Blueprint repositories, the blueprints a sync finds in them, and the space's catalog.

A repository belongs to one space. `sync_repository` reads its branch head (see
`spacegate.blueprints.git`), parses every blueprint file (`spacegate.blueprints.spec`)
and brings the space's blueprints in line with that commit: new files are added,
changed ones re-read, removed ones deleted (and so leave the catalog). A failed sync
changes no blueprint; its outcome is kept on the repository like a successful one's.
The access token is write-only: sealed at rest, never returned, logged or audited.
"""

from __future__ import annotations

import base64
import binascii
import logging
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from spacegate.audit import service as audit
from spacegate.blueprints import git
from spacegate.blueprints.models import Blueprint, Repository
from spacegate.blueprints.spec import ParsedBlueprint, Problem, parse_blueprint
from spacegate.crypto import SecretBox
from spacegate.db import utcnow
from spacegate.errors import Conflict, InvalidInput, NotFound
from spacegate.grants.context import Access
from spacegate.names import clean_name
from spacegate.settings import Settings
from spacegate.spaces.models import Space

log = logging.getLogger(__name__)

DEFAULT_FOLDER = "blueprints/"
MAX_TOKEN_LENGTH = 4096


class BlueprintInvalid(Conflict):
    name = "BlueprintInvalid"


@dataclass(frozen=True)
class RepositoryView:
    repository: Repository
    blueprints: int


@dataclass(frozen=True)
class BlueprintView:
    blueprint: Blueprint
    repository_name: str


@dataclass(frozen=True)
class SyncResult:
    repository: Repository
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    in_error: list[str] = field(default_factory=list)


# -- repository fields -----------------------------------------------------------------


def locate_allowed(url: str, settings: Settings) -> git.Location:
    """Where `url` points, if this installation may read from there. Raises GitError.

    Used at sync and again when a launch fetches a grain's source, so turning
    SPACEGATE_LOCAL_REPOSITORIES off takes effect for both."""
    location = git.locate(url)
    if location.kind == "local":
        if not settings.local_repositories:
            raise git.GitError(
                "This installation does not read repositories from its own disk; use an "
                "http(s) URL."
            )
        # Every account's caches, work directories and the installation secret live in
        # the data directory: never a repository to read.
        data_root = settings.data_dir.resolve()
        if Path(location.target).resolve().is_relative_to(data_root):
            raise git.GitError("That path is inside spacegate's data directory, not a repository.")
    return location


def _clean_url(url: str, settings: Settings) -> str:
    url = url.strip()
    if not url or len(url) > 1000:
        raise InvalidInput("The repository URL must be 1 to 1000 characters long.", field="url")
    try:
        locate_allowed(url, settings)
    except git.GitError as error:
        raise InvalidInput(str(error), field="url") from None
    return url


def _clean_branch(branch: str) -> str:
    branch = branch.strip()
    bad = (
        not branch
        or len(branch) > 255
        or branch.startswith(("-", "/", "."))
        or branch.endswith(("/", ".", ".lock"))
        or ".." in branch
        or "//" in branch
        or "@{" in branch
        or any(ch in branch for ch in " ~^:?*[\\")
        or any(ord(ch) < 32 or ord(ch) == 127 for ch in branch)
    )
    if bad:
        raise InvalidInput(f"'{branch}' is not a valid git branch name.", field="branch")
    return branch


def _clean_folder(path: str) -> str:
    """`blueprints`, `/blueprints/` and `./blueprints` all become `blueprints/`; "" or
    "/" is the repository's root."""
    parts = [p for p in PurePosixPath(path.strip()).parts if p not in ("/", ".")]
    if any(p == ".." for p in parts) or "\\" in path or len(path) > 500:
        raise InvalidInput(f"'{path}' is not a folder inside the repository.", field="path")
    return "/".join(parts) + "/" if parts else ""


def _clean_token(token: str) -> str:
    token = token.strip()
    if len(token) > MAX_TOKEN_LENGTH or any(ch.isspace() for ch in token):
        raise InvalidInput(
            f"The token must have no spaces and at most {MAX_TOKEN_LENGTH} characters.",
            field="token",
        )
    return token


# -- repositories ----------------------------------------------------------------------


def _find_repository(session: Session, space: Space, name: str) -> Repository | None:
    return session.scalar(
        select(Repository).where(
            Repository.space_id == space.id, Repository.name_key == name.strip().lower()
        )
    )


def get_repository(session: Session, space: Space, name: str) -> Repository:
    """Raises NotFound (404) for a name the space has no repository by."""
    found = _find_repository(session, space, name)
    if found is None:
        raise NotFound(f"There is no repository named '{name}' in space '{space.name}'.")
    return found


def _counts(session: Session, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = session.execute(
        select(Blueprint.repository_id, func.count())
        .where(Blueprint.repository_id.in_(ids))
        .group_by(Blueprint.repository_id)
    )
    return {repository_id: count for repository_id, count in rows}


def list_repositories(session: Session, space: Space) -> list[RepositoryView]:
    repositories = session.scalars(
        select(Repository).where(Repository.space_id == space.id).order_by(Repository.name_key)
    ).all()
    counts = _counts(session, [r.id for r in repositories])
    return [RepositoryView(r, counts.get(r.id, 0)) for r in repositories]


def repository_view(session: Session, repository: Repository) -> RepositoryView:
    return RepositoryView(repository, _counts(session, [repository.id]).get(repository.id, 0))


def published_blueprint_names(session: Session, repository: Repository) -> list[str]:
    """The names of the repository's blueprints published in the catalog, by name: what
    removing the repository takes out of the catalog."""
    return list(
        session.scalars(
            select(Blueprint.name)
            .where(Blueprint.repository_id == repository.id, Blueprint.published.is_(True))
            .order_by(Blueprint.name_key)
        )
    )


def _snapshot(repository: Repository, space: Space) -> dict[str, Any]:
    return {
        "space": space.name,
        "name": repository.name,
        "url": repository.url,
        "branch": repository.branch,
        "path": repository.path,
        "token": "set" if repository.token_sealed else "none",
    }


def _ensure_free_name(
    session: Session, space: Space, name: str, except_id: int | None = None
) -> None:
    existing = _find_repository(session, space, name)
    if existing is not None and existing.id != except_id:
        raise Conflict(
            f"Space '{space.name}' already has a repository named '{existing.name}'.",
            field="name",
        )


def create_repository(
    session: Session,
    access: Access,
    settings: Settings,
    box: SecretBox,
    space: Space,
    *,
    name: str,
    url: str,
    branch: str,
    path: str,
    token: str | None,
) -> RepositoryView:
    """Connect a repository to the space; `sync_repository` reads it. Raises
    InvalidInput (422) for a bad field, Conflict (409) for a name in use."""
    name = clean_name(name, "repository")
    repository = Repository(
        account_id=space.account_id,
        space_id=space.id,
        name=name,
        name_key=name.lower(),
        url=_clean_url(url, settings),
        branch=_clean_branch(branch),
        path=_clean_folder(path),
        token_sealed=box.seal(_clean_token(token)) if token and token.strip() else None,
    )
    _ensure_free_name(session, space, name)
    session.add(repository)
    session.flush()
    audit.record(
        session,
        access.caller.actor,
        "repository.create",
        target_type="repository",
        target=name,
        after=_snapshot(repository, space),
    )
    return RepositoryView(repository, 0)


def update_repository(
    session: Session,
    access: Access,
    settings: Settings,
    box: SecretBox,
    space: Space,
    name: str,
    *,
    new_name: str | None,
    url: str | None,
    branch: str | None,
    path: str | None,
    token: str | None,
) -> RepositoryView:
    """Change what is given. `token` "" removes the token; a new token replaces it.
    The blueprints stay as they are until the next sync."""
    repository = get_repository(session, space, name)
    before = _snapshot(repository, space)
    if new_name is not None:
        new_name = clean_name(new_name, "repository")
        _ensure_free_name(session, space, new_name, repository.id)
        repository.name, repository.name_key = new_name, new_name.lower()
    if url is not None:
        repository.url = _clean_url(url, settings)
    if branch is not None:
        repository.branch = _clean_branch(branch)
    if path is not None:
        repository.path = _clean_folder(path)
    token_changed = token is not None
    if token is not None:
        cleaned = _clean_token(token)
        repository.token_sealed = box.seal(cleaned) if cleaned else None
    after = _snapshot(repository, space)
    if token_changed and after["token"] == "set":
        after["token"] = "changed"
    if after != before:
        repository.updated_at = utcnow()
        audit.record(
            session,
            access.caller.actor,
            "repository.update",
            target_type="repository",
            target=repository.name,
            before=before,
            after=after,
        )
    session.flush()
    return repository_view(session, repository)


def delete_repository(
    session: Session, access: Access, settings: Settings, space: Space, name: str
) -> None:
    """Removes the repository and its blueprints, which leave the catalog with it."""
    repository = get_repository(session, space, name)
    blueprints = session.scalars(
        select(Blueprint).where(Blueprint.repository_id == repository.id)
    ).all()
    audit.record(
        session,
        access.caller.actor,
        "repository.delete",
        target_type="repository",
        target=repository.name,
        before={
            **_snapshot(repository, space),
            "blueprints": len(blueprints),
            "published": sorted(b.name for b in blueprints if b.published),
        },
    )
    repository_id = repository.id
    session.delete(repository)
    session.flush()
    git.remove_cache(settings.data_dir, repository_id)


# -- sync ------------------------------------------------------------------------------


def _scrub(message: str, token: str | None) -> str:
    return message.replace(token, "********") if token else message


def sync_repository(
    session: Session,
    access: Access,
    settings: Settings,
    box: SecretBox,
    space: Space,
    name: str,
) -> SyncResult:
    """Read the branch head and update the space's blueprints from it. A failure (no
    such branch or folder, unreachable host, ...) is recorded as the sync's outcome,
    with a message, and changes no blueprint: it is not an error of the request."""
    repository = get_repository(session, space, name)
    repository.last_sync_at = utcnow()
    token: str | None = None
    try:
        if repository.token_sealed:
            try:
                token = box.open(repository.token_sealed)
            except ValueError:
                raise git.GitError(
                    "The stored token cannot be decrypted (was the installation secret "
                    "changed?); set the token again."
                ) from None
        snapshot = git.read_branch(
            locate_allowed(repository.url, settings),
            repository.branch,
            repository.path.rstrip("/"),
            git.cache_path(settings.data_dir, repository.id, repository.url),
            token,
        )
    except git.GitError as error:
        message = _scrub(str(error), token)
        repository.last_sync_status, repository.last_sync_message = "error", message
        session.flush()
        log.warning(
            "sync of repository %r in space %r failed: %s", repository.name, space.name, message
        )
        audit.record(
            session,
            access.caller.actor,
            "repository.sync",
            target_type="repository",
            target=repository.name,
            after={"space": space.name, "status": "error", "message": message},
        )
        return SyncResult(repository)
    result = _apply(session, repository, snapshot)
    repository.synced_commit = snapshot.commit
    repository.last_sync_status = "ok"
    repository.last_sync_message = (
        f"{len(snapshot.files)} blueprint files read, {len(result.in_error)} with errors."
    )
    session.flush()
    log.info(
        "synced repository %r in space %r at %s: %s",
        repository.name,
        space.name,
        snapshot.commit[:12],
        repository.last_sync_message,
    )
    audit.record(
        session,
        access.caller.actor,
        "repository.sync",
        target_type="repository",
        target=repository.name,
        after={
            "space": space.name,
            "status": "ok",
            "commit": snapshot.commit,
            "added": result.added,
            "changed": result.changed,
            "removed": result.removed,
            "in_error": result.in_error,
        },
    )
    return result


def _apply(session: Session, repository: Repository, snapshot: git.Snapshot) -> SyncResult:
    existing = {
        b.name_key: b
        for b in session.scalars(select(Blueprint).where(Blueprint.repository_id == repository.id))
    }
    result = SyncResult(repository)
    seen: dict[str, Blueprint] = {}
    for file in snapshot.files:
        key = file.name.lower()
        if key in seen:  # `web.yaml` and `web.yml`: the first file (by name) wins
            kept = seen[key]
            kept.errors = [
                *kept.errors,
                Problem(
                    f"Another file, {file.path}, has the same blueprint name; it is ignored."
                ).as_dict(),
            ]
            if kept.name not in result.in_error:
                result.in_error.append(kept.name)
            continue
        # Every file is parsed again (it is cheap), so that findings that depend on
        # more than the file itself, such as a duplicate name, are never stale.
        parsed = (
            parse_blueprint(file.name, file.content)
            if file.content is not None
            else _too_large(file)
        )
        blueprint = existing.pop(key, None)
        if blueprint is None:
            blueprint = Blueprint(repository_id=repository.id, name_key=key)
            session.add(blueprint)
            result.added.append(file.name)
        elif blueprint.blob_sha != file.blob_sha:
            result.changed.append(file.name)
        if blueprint.blob_sha != file.blob_sha:
            blueprint.updated_at = utcnow()
        _fill(blueprint, file, parsed, snapshot.commit)
        seen[key] = blueprint
        if blueprint.errors:
            result.in_error.append(blueprint.name)
    for gone in existing.values():
        result.removed.append(gone.name)
        session.delete(gone)
    session.flush()
    return result


def _too_large(file: git.BlueprintFile) -> ParsedBlueprint:
    parsed = ParsedBlueprint(name=file.name)
    parsed.errors.append(Problem(f"The file is too large to read ({file.size} bytes)."))
    return parsed


def _fill(
    blueprint: Blueprint, file: git.BlueprintFile, parsed: ParsedBlueprint, commit: str
) -> None:
    blueprint.name = file.name
    blueprint.file_path = file.path
    blueprint.blob_sha = file.blob_sha
    blueprint.commit = commit
    blueprint.description = parsed.description
    blueprint.inputs = parsed.inputs
    blueprint.outputs = parsed.outputs
    blueprint.grains = parsed.grains
    blueprint.errors = parsed.error_dicts()
    blueprint.document = parsed.document


# -- blueprints and the catalog --------------------------------------------------------


def list_blueprints(
    session: Session,
    space: Space,
    *,
    published_only: bool,
    limit: int,
    after_id: int | None,
) -> list[BlueprintView]:
    """The space's blueprints in discovery order (by id, so pages are stable)."""
    statement = (
        select(Blueprint, Repository.name)
        .join(Repository, Repository.id == Blueprint.repository_id)
        .where(Repository.space_id == space.id)
    )
    if published_only:
        statement = statement.where(Blueprint.published.is_(True))
    if after_id is not None:
        statement = statement.where(Blueprint.id > after_id)
    rows = session.execute(statement.order_by(Blueprint.id).limit(limit))
    return [BlueprintView(blueprint, repository_name) for blueprint, repository_name in rows]


def find_blueprint(
    session: Session,
    space: Space,
    name: str,
    repository_name: str | None,
    *,
    published_only: bool,
) -> BlueprintView:
    """The blueprint `name`, from `repository_name` or, when not given, from the one
    repository that has it. Raises NotFound (404), or Conflict (409) when several
    repositories have a blueprint of that name and none was named."""
    statement = (
        select(Blueprint, Repository.name)
        .join(Repository, Repository.id == Blueprint.repository_id)
        .where(Repository.space_id == space.id, Blueprint.name_key == name.strip().lower())
    )
    if repository_name:
        statement = statement.where(Repository.name_key == repository_name.strip().lower())
    if published_only:
        statement = statement.where(Blueprint.published.is_(True))
    found = [
        BlueprintView(b, r) for b, r in session.execute(statement.order_by(Repository.name_key))
    ]
    where = f" in repository '{repository_name}'" if repository_name else ""
    if not found:
        what = "published blueprint" if published_only else "blueprint"
        raise NotFound(f"There is no {what} named '{name}'{where} in space '{space.name}'.")
    if len(found) > 1:
        names = ", ".join(view.repository_name for view in found)
        raise Conflict(
            f"Several repositories ({names}) have a blueprint named '{name}'; give repository_name."
        )
    return found[0]


def publish(
    session: Session, access: Access, space: Space, name: str, repository_name: str | None
) -> BlueprintView:
    """Add a blueprint to the space's catalog (already there: nothing changes).
    Raises BlueprintInvalid (409), listing them, when it has validation errors."""
    view = find_blueprint(session, space, name, repository_name, published_only=False)
    blueprint = view.blueprint
    if blueprint.errors:
        messages = "; ".join(error["message"] for error in blueprint.errors[:3])
        raise BlueprintInvalid(
            f"Blueprint '{blueprint.name}' has {len(blueprint.errors)} validation "
            f"error(s) and cannot be published: {messages}",
            details={"blueprint_errors": blueprint.errors},
        )
    if not blueprint.published:
        blueprint.published = True
        blueprint.published_at = utcnow()
        blueprint.published_by = access.caller.email
        session.flush()
        audit.record(
            session,
            access.caller.actor,
            "blueprint.publish",
            target_type="blueprint",
            target=blueprint.name,
            after={"space": space.name, "repository": view.repository_name},
        )
    return view


def unpublish(
    session: Session, access: Access, space: Space, name: str, repository_name: str | None
) -> None:
    """Take a blueprint out of the catalog; NotFound (404) when it is not in it."""
    view = find_blueprint(session, space, name, repository_name, published_only=True)
    blueprint = view.blueprint
    blueprint.published = False
    blueprint.published_at = None
    blueprint.published_by = None
    session.flush()
    audit.record(
        session,
        access.caller.actor,
        "blueprint.unpublish",
        target_type="blueprint",
        target=blueprint.name,
        before={"space": space.name, "repository": view.repository_name},
    )


# -- validation of a file sent by a client (Torque's CLI) --------------------------------


@dataclass(frozen=True)
class Validation:
    errors: list[dict[str, Any]]
    warnings: list[dict[str, Any]]


def validate(session: Session, space: Space, name: str | None, raw_64: str) -> Validation:
    """Validate a blueprint sent as base64 YAML, as a sync would. Warnings name grain
    stores that are not repositories of the space. Raises InvalidInput (422) when the
    text is not base64."""
    try:
        content = base64.b64decode(raw_64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("blueprint_raw_64 is not base64 text.") from None
    parsed = parse_blueprint(name or "blueprint", content)
    stores = {
        key
        for key in session.scalars(
            select(Repository.name_key).where(Repository.space_id == space.id)
        )
    }
    warnings = [
        Problem(
            f"Grain '{grain['name']}' uses store '{grain['source_store']}', which is not a "
            f"repository of space '{space.name}'.",
            ("grains", grain["name"], "spec", "source", "store"),
        ).as_dict()
        for grain in parsed.grains
        if grain["source_store"] and grain["source_store"].lower() not in stores
    ]
    return Validation(parsed.error_dicts(), warnings)
