"""Blueprint repositories of a space: their fields (URL, branch, folder, write-only
access token) and adding, changing and removing them. Reading what they hold is
`sync.py`; the access token is sealed at rest, never returned, logged or audited.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from spacegate.audit import service as audit
from spacegate.blueprints import git
from spacegate.blueprints.models import Blueprint, Repository
from spacegate.crypto import SecretBox
from spacegate.db import utcnow
from spacegate.errors import Conflict, InvalidInput, NotFound
from spacegate.grants.context import Access
from spacegate.names import clean_name
from spacegate.outbound import AddressPolicy
from spacegate.settings import Settings
from spacegate.spaces.models import Space

log = logging.getLogger(__name__)

DEFAULT_FOLDER = "blueprints/"
MAX_TOKEN_LENGTH = 4096


@dataclass(frozen=True)
class RepositoryView:
    repository: Repository
    blueprints: int


def fetching(settings: Settings) -> git.Fetching:
    """Where and for how long this installation's fetches may go."""
    return git.Fetching(
        AddressPolicy(settings.outbound_allowed_networks), settings.git_fetch_deadline_seconds
    )


def locate_allowed(url: str, settings: Settings) -> git.Location:
    """Where `url` points, if this installation may read from there. Raises GitError.

    Used at sync and again when a launch fetches a grain's source, so turning
    SPACEGATE_LOCAL_REPOSITORIES off takes effect for both."""
    location = git.locate_checked(url, fetching(settings).policy)
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


def open_token(box: SecretBox, repository: Repository) -> str | None:
    """The repository's access token, for a fetch of its current URL; None when it has
    none, or when the URL's host is not the one the token was given for (it is never
    sent anywhere else). Raises ValueError when it cannot be decrypted."""
    if not repository.token_sealed:
        return None
    if repository.token_host is None or repository.token_host != git.url_host(repository.url):
        log.warning(
            "the token of repository %r is not sent: it was not given for %s",
            repository.name,
            git.url_host(repository.url),
        )
        return None
    return box.open(repository.token_sealed)


def _clean_token(token: str) -> str:
    token = token.strip()
    if len(token) > MAX_TOKEN_LENGTH or any(ch.isspace() for ch in token):
        raise InvalidInput(
            f"The token must have no spaces and at most {MAX_TOKEN_LENGTH} characters.",
            field="token",
        )
    return token


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


def account_has_repositories(session: Session, account_id: int) -> bool:
    """Whether any space of the account has connected a repository (one query, however
    many spaces)."""
    return bool(
        session.scalar(
            select(exists().where(Repository.space_id == Space.id, Space.account_id == account_id))
        )
    )


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
    url = _clean_url(url, settings)
    cleaned_token = _clean_token(token) if token and token.strip() else None
    repository = Repository(
        account_id=space.account_id,
        space_id=space.id,
        name=name,
        name_key=name.lower(),
        url=url,
        branch=_clean_branch(branch),
        path=_clean_folder(path),
        token_sealed=box.seal(cleaned_token) if cleaned_token else None,
        token_host=git.url_host(url) if cleaned_token else None,
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
    A new URL drops the token unless the same change gives one: a token is only ever
    sent to the host it was given for. The blueprints stay as they are until the next
    sync. Raises NotFound (404) for no such repository, InvalidInput (422) for a bad
    name, URL, branch, folder or token, Conflict (409) for a name another repository of
    the space has."""
    repository = get_repository(session, space, name)
    before = _snapshot(repository, space)
    if new_name is not None:
        new_name = clean_name(new_name, "repository")
        _ensure_free_name(session, space, new_name, repository.id)
        repository.name, repository.name_key = new_name, new_name.lower()
    if url is not None:
        cleaned_url = _clean_url(url, settings)
        if cleaned_url != repository.url and token is None and repository.token_sealed:
            repository.token_sealed, repository.token_host = None, None
            log.info("repository %r has a new URL; its token was dropped", repository.name)
        repository.url = cleaned_url
    if branch is not None:
        repository.branch = _clean_branch(branch)
    if path is not None:
        repository.path = _clean_folder(path)
    token_changed = token is not None
    if token is not None:
        cleaned = _clean_token(token)
        repository.token_sealed = box.seal(cleaned) if cleaned else None
        repository.token_host = git.url_host(repository.url) if cleaned else None
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
    """Removes the repository and its blueprints, which leave the catalog with it.
    Raises NotFound (404) for no such repository."""
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
