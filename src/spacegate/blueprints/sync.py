"""Syncing a repository: `sync_repository` reads its branch head (see
`spacegate.blueprints.git`), parses every blueprint file (`spacegate.blueprints.spec`)
and brings the space's blueprints in line with that commit: new files are added, changed
ones re-read, removed ones deleted (and so leave the catalog). A failed sync changes no
blueprint; its outcome is kept on the repository like a successful one's.

A fetch can take minutes, and must hold no transaction meanwhile (on SQLite a write
transaction is the database's one write lock: every tenant would wait). So a sync
claims the repository with a lease in the caller's transaction and commits it
(`start_sync`), fetches and parses with no transaction open (`fetch`), and writes the
outcome in a short transaction of its own (`finish_sync`). A second sync of the same
repository while one runs is answered with `running`.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import cast

from sqlalchemy import CursorResult, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from spacegate.audit import service as audit
from spacegate.blueprints import git
from spacegate.blueprints.models import Blueprint, Repository
from spacegate.blueprints.repositories import (
    fetching,
    get_repository,
    locate_allowed,
    open_token,
)
from spacegate.blueprints.spec import parse_blueprint
from spacegate.blueprints.spec_checks import ParsedBlueprint, Problem
from spacegate.crypto import SecretBox
from spacegate.db import transaction, utcnow
from spacegate.errors import NotFound
from spacegate.grants.context import Access
from spacegate.settings import Settings
from spacegate.spaces.models import Space

log = logging.getLogger(__name__)

RUNNING = "A sync of this repository is already in progress; its outcome shows in last_sync."
LEASE_MARGIN_SECONDS = 60
"""A sync's lease outlasts its fetch deadline by this much (parsing, writing)."""


@dataclass(frozen=True)
class SyncResult:
    repository: Repository
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    in_error: list[str] = field(default_factory=list)
    running: bool = False  # another sync of the repository is still in progress
    blueprints: int = 0  # how many blueprints the repository has after the sync


@dataclass(frozen=True)
class SyncJob:
    """What a claimed sync fetches: read in the claiming transaction, used without one."""

    repository_id: int
    space_name: str
    claim: str
    url: str
    branch: str
    folder: str
    token: str | None
    problem: str | None  # set when there is nothing to fetch (e.g. an unreadable token)


@dataclass(frozen=True)
class Fetched:
    """A fetch's outcome: the snapshot with its files parsed, or the failure's message."""

    snapshot: git.Snapshot | None = None
    parsed: dict[str, ParsedBlueprint] = field(default_factory=dict)
    failure: str | None = None


def _scrub(message: str, token: str | None) -> str:
    return message.replace(token, "********") if token else message


def sync_repository(
    session: Session,
    sessions: sessionmaker[Session],
    access: Access,
    settings: Settings,
    box: SecretBox,
    space: Space,
    name: str,
) -> SyncResult:
    """Read the branch head and update the space's blueprints from it. A failure (no
    such branch or folder, unreachable host, ...) is recorded as the sync's outcome,
    with a message, and changes no blueprint: it is not an error of the request.

    Commits `session` (the caller's transaction) once the sync is claimed, and writes
    the outcome in a transaction of its own from `sessions`: nothing is held while the
    repository is fetched. Raises NotFound (404) for no such repository (also when it is
    removed while it is read)."""
    started = start_sync(session, settings, box, space, name)
    if isinstance(started, SyncResult):
        return started
    session.commit()
    try:
        outcome = fetch(started, settings)
    except Exception:  # a bug must not leave the repository claimed until its lease ends
        log.exception("sync of repository %r failed", name)
        outcome = Fetched(failure=git.UNREADABLE)
    with transaction(sessions) as writing:
        return finish_sync(writing, access, started, outcome)


def start_sync(
    session: Session, settings: Settings, box: SecretBox, space: Space, name: str
) -> SyncJob | SyncResult:
    """Claim the repository for a sync (flushed, for the caller to commit), and read what
    the fetch needs; a `running` SyncResult when another sync holds it. Raises NotFound
    (404) for no such repository."""
    repository = get_repository(session, space, name)
    now = utcnow()
    claim = secrets.token_hex(16)
    lease = timedelta(seconds=settings.git_fetch_deadline_seconds + LEASE_MARGIN_SECONDS)
    taken = cast(
        CursorResult[object],
        session.execute(
            update(Repository)
            .where(
                Repository.id == repository.id,
                or_(Repository.sync_claim.is_(None), Repository.sync_lease_until < now),
            )
            .values(sync_claim=claim, sync_lease_until=now + lease)
            .execution_options(synchronize_session=False)
        ),
    )
    session.refresh(repository)
    if taken.rowcount != 1:
        return SyncResult(repository, running=True, blueprints=_count(session, repository))
    token: str | None = None
    problem: str | None = None
    try:
        token = open_token(box, repository)
    except ValueError:
        problem = (
            "The stored token cannot be decrypted (was the installation secret changed?); "
            "set the token again."
        )
    return SyncJob(
        repository_id=repository.id,
        space_name=space.name,
        claim=claim,
        url=repository.url,
        branch=repository.branch,
        folder=repository.path.rstrip("/"),
        token=token,
        problem=problem,
    )


def fetch(job: SyncJob, settings: Settings) -> Fetched:
    """Fetch the branch head and parse its blueprint files; uses no database. Never
    raises for the repository's own faults: they are the outcome."""
    if job.problem is not None:
        return Fetched(failure=job.problem)
    try:
        snapshot = git.read_branch(
            locate_allowed(job.url, settings),
            job.branch,
            job.folder,
            git.cache_path(settings.data_dir, job.repository_id, job.url),
            job.token,
            fetching(settings),
        )
    except git.GitError as error:
        return Fetched(failure=_scrub(str(error), job.token))
    parsed = {
        file.path: parse_blueprint(file.name, file.content)
        if file.content is not None
        else _too_large(file)
        for file in snapshot.files
    }
    return Fetched(snapshot=snapshot, parsed=parsed)


def finish_sync(session: Session, access: Access, job: SyncJob, fetched: Fetched) -> SyncResult:
    """Write the outcome of a claimed sync and release the claim. A repository whose
    URL, branch or folder changed meanwhile keeps its blueprints (the sync says so).
    Raises NotFound (404) when the repository was removed meanwhile."""
    repository = session.scalar(
        select(Repository).where(Repository.id == job.repository_id).with_for_update()
    )
    if repository is None:
        raise NotFound("The repository was removed while it was being read.")
    if repository.sync_claim != job.claim:
        # The lease ran out and another sync took over: its outcome is the one kept.
        return SyncResult(repository, running=True, blueprints=_count(session, repository))
    repository.sync_claim, repository.sync_lease_until = None, None
    repository.last_sync_at = utcnow()
    failure = fetched.failure
    if failure is None and (
        repository.url != job.url
        or repository.branch != job.branch
        or repository.path.rstrip("/") != job.folder
    ):
        failure = "The repository was changed while it was being read; sync it again."
    if failure is not None or fetched.snapshot is None:
        message = failure or git.UNREADABLE
        repository.last_sync_status, repository.last_sync_message = "error", message
        session.flush()
        log.warning(
            "sync of repository %r in space %r failed: %s",
            repository.name,
            job.space_name,
            message,
        )
        audit.record(
            session,
            access.caller.actor,
            "repository.sync",
            target_type="repository",
            target=repository.name,
            after={"space": job.space_name, "status": "error", "message": message},
        )
        return SyncResult(repository, blueprints=_count(session, repository))
    snapshot = fetched.snapshot
    result = _apply(session, repository, snapshot, fetched.parsed)
    repository.synced_commit = snapshot.commit
    repository.last_sync_status = "ok"
    repository.last_sync_message = (
        f"{len(snapshot.files)} blueprint files read, {len(result.in_error)} with errors."
    )
    session.flush()
    log.info(
        "synced repository %r in space %r at %s: %s",
        repository.name,
        job.space_name,
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
            "space": job.space_name,
            "status": "ok",
            "commit": snapshot.commit,
            "added": result.added,
            "changed": result.changed,
            "removed": result.removed,
            "in_error": result.in_error,
        },
    )
    return SyncResult(
        repository,
        added=result.added,
        changed=result.changed,
        removed=result.removed,
        in_error=result.in_error,
        blueprints=_count(session, repository),
    )


def _count(session: Session, repository: Repository) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Blueprint)
            .where(Blueprint.repository_id == repository.id)
        )
        or 0
    )


def _apply(
    session: Session,
    repository: Repository,
    snapshot: git.Snapshot,
    parsed_files: dict[str, ParsedBlueprint],
) -> SyncResult:
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
        # Every file was parsed again (by `fetch`, outside the transaction), so that
        # findings that depend on more than the file itself are never stale.
        parsed = parsed_files.get(file.path) or _too_large(file)
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
