"""Syncing a repository: `sync_repository` reads its branch head (see
`spacegate.blueprints.git`), parses every blueprint file (`spacegate.blueprints.spec`)
and brings the space's blueprints in line with that commit: new files are added, changed
ones re-read, removed ones deleted (and so leave the catalog). A failed sync changes no
blueprint; its outcome is kept on the repository like a successful one's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from spacegate.audit import service as audit
from spacegate.blueprints import git
from spacegate.blueprints.models import Blueprint, Repository
from spacegate.blueprints.repositories import get_repository, locate_allowed
from spacegate.blueprints.spec import parse_blueprint
from spacegate.blueprints.spec_checks import ParsedBlueprint, Problem
from spacegate.crypto import SecretBox
from spacegate.db import utcnow
from spacegate.grants.context import Access
from spacegate.settings import Settings
from spacegate.spaces.models import Space

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncResult:
    repository: Repository
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    in_error: list[str] = field(default_factory=list)


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
    with a message, and changes no blueprint: it is not an error of the request. Raises
    NotFound (404) for no such repository."""
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
