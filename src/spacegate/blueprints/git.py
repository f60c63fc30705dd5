"""Reading a branch head of a git repository with dulwich: no git binary, no network for
`file://` URLs and local paths.

A sync fetches the branch into a bare cache repository under the data directory
(`<data_dir>/git-cache/`), then reads the blueprint folder of the fetched commit from
the object store; no work tree is checked out. Errors are `GitError`s whose message is
safe to show (the caller removes the token from it as well).

An http(s) fetch connects only to addresses the installation's `AddressPolicy` allows
(see `spacegate.outbound`), within one deadline for the whole fetch, and every way it
can fail answers the same neutral sentence (`UNREADABLE`): the message must not tell a
closed port from an open one, or a refused address from a slow one. The reason is
logged for the operator.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import stat
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from dulwich.client import GitClient, HttpGitClient, LocalGitClient
from dulwich.errors import GitProtocolError, HangupException, NotGitRepository
from dulwich.objects import Blob, Commit, ObjectID, Tree
from dulwich.refs import Ref
from dulwich.repo import Repo

from spacegate.blueprints.spec import MAX_FILE_BYTES
from spacegate.outbound import AddressPolicy, Watchdog, guarded_pool_manager

log = logging.getLogger(__name__)

CACHE_DIR = "git-cache"
READ_TIMEOUT_SECONDS = 60.0
UNREADABLE = (
    "The repository could not be read from that URL; check the URL, the branch and the "
    "access token."
)
MAX_FILES = 1000
MAX_NAME = 255
BLUEPRINT_SUFFIXES = (".yaml", ".yml")
# GitHub, GitLab and Bitbucket all take a token as the password of HTTP basic auth.
TOKEN_USERNAME = "x-access-token"

_locks: dict[Path, threading.Lock] = {}
_locks_guard = threading.Lock()


class GitError(Exception):
    """The repository could not be read; the message says why, for the user."""


@dataclass(frozen=True)
class Location:
    """Where a repository is: an http(s) URL, or a local path (from `file://` or given
    as an absolute path)."""

    kind: str  # "http" or "local"
    target: str

    @property
    def host(self) -> str | None:
        """The `host[:port]` an http(s) location's requests go to, lowercased: what an
        access token is bound to. None for a local path."""
        return url_host(self.target) if self.kind == "http" else None


@dataclass(frozen=True)
class Fetching:
    """How an http(s) fetch may go: where to, and for how long in all."""

    policy: AddressPolicy
    deadline_seconds: float


def url_host(url: str) -> str | None:
    """`host[:port]` of an http(s) URL, lowercased, with the scheme's default port
    spelled out, so that `https://Git.example` and `https://git.example:443/x` match."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    default = 443 if parts.scheme == "https" else 80
    return f"{parts.scheme}://{parts.hostname.lower()}:{port or default}"


@dataclass(frozen=True)
class BlueprintFile:
    name: str  # the file name without its suffix
    path: str  # inside the repository
    blob_sha: str
    content: bytes | None  # None when the file is too large to read
    size: int


@dataclass(frozen=True)
class Snapshot:
    commit: str
    files: list[BlueprintFile]


def locate(url: str) -> Location:
    """Classify `url`. Raises GitError for a scheme other than http, https or file, for
    credentials written into the URL, and for a relative local path."""
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise GitError("The repository URL must not contain control characters.")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise GitError(f"'{url}' is not a valid URL.") from None
    if parts.scheme in ("http", "https"):
        if not parts.hostname:
            raise GitError(f"'{url}' has no host name.")
        if parts.username is not None or parts.password is not None or parts.query:
            raise GitError(
                "Do not write credentials or a query into the URL; give the access token "
                "as `token`."
            )
        return Location("http", url)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise GitError("A file:// URL must name a path on this server (file:///path).")
        path = unquote(parts.path)
        if "\x00" in path:
            raise GitError("The repository URL must not contain control characters.")
        return Location("local", path)
    if parts.scheme == "" and url.startswith("/"):
        return Location("local", url)
    raise GitError(
        "The repository URL must be an http(s):// or file:// URL, or an absolute path on "
        "the server."
    )


def locate_checked(url: str, policy: AddressPolicy) -> Location:
    """`locate`, and refuse an http(s) URL whose host is an address literal the policy
    refuses (a name is checked when it is resolved, at each fetch). Raises GitError."""
    location = locate(url)
    if location.kind == "http":
        host = urlsplit(url).hostname or ""
        if policy.literal_refused(host):
            raise GitError(
                "The repository URL names a loopback, private, link-local or otherwise "
                "internal address, which this installation does not read from."
            )
    return location


def cache_path(data_dir: Path, repository_id: int, url: str) -> Path:
    """The bare cache repository of one repository and URL; a new URL starts afresh."""
    digest = hashlib.sha256(url.encode()).hexdigest()[:16]
    return data_dir / CACHE_DIR / f"{repository_id}-{digest}.git"


def remove_cache(data_dir: Path, repository_id: int) -> None:
    """Forget every cache of a repository (best effort: a cache can always be rebuilt)."""
    root = data_dir / CACHE_DIR
    if root.is_dir():
        for path in root.glob(f"{repository_id}-*.git"):
            shutil.rmtree(path, ignore_errors=True)


def _lock_for(path: Path) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(path, threading.Lock())


def _client(
    location: Location, token: str | None, fetching: Fetching, watchdog: Watchdog
) -> tuple[GitClient, str]:
    if location.kind == "http":
        manager = guarded_pool_manager(
            fetching.policy,
            watchdog,
            read_timeout=min(READ_TIMEOUT_SECONDS, fetching.deadline_seconds),
            headers={"User-Agent": "spacegate"},
        )
        # dulwich attaches the token only to requests for the URL's own origin, never
        # to another host a redirect leads to.
        client = HttpGitClient(
            location.target,
            pool_manager=manager,
            username=TOKEN_USERNAME if token else None,
            password=token or None,
        )
        return client, urlsplit(location.target).path
    return LocalGitClient(), location.target


def _make_private(path: Path) -> None:
    """The cache holds every account's repositories: readable by spacegate's user only."""
    for root, folders, files in os.walk(path):
        os.chmod(root, 0o700)
        for name in folders:
            os.chmod(os.path.join(root, name), 0o700)
        for name in files:
            os.chmod(os.path.join(root, name), 0o600)


def read_branch(
    location: Location,
    branch: str,
    folder: str,
    cache: Path,
    token: str | None,
    fetching: Fetching,
) -> Snapshot:
    """Fetch `branch` into `cache` and list the blueprint files directly inside `folder`
    of its head commit. Raises GitError; every failure to fetch says `UNREADABLE`."""
    ref = Ref(f"refs/heads/{branch}".encode())
    with _lock_for(cache):
        cache.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(cache.parent, 0o700)
        fresh = not (cache / "HEAD").exists()
        repo = Repo.init_bare(str(cache), mkdir=True) if fresh else Repo(str(cache))
        if fresh:
            _make_private(cache)
        try:
            with Watchdog(fetching.deadline_seconds) as watchdog:
                client, remote_path = _client(location, token, fetching, watchdog)

                def wants(refs: Mapping[Ref, ObjectID], depth: int | None = None) -> list[ObjectID]:
                    head = refs.get(ref)
                    return [head] if head is not None and head not in repo.object_store else []

                try:
                    result = client.fetch(remote_path, repo, determine_wants=wants)
                except (NotGitRepository, GitProtocolError, HangupException, OSError) as error:
                    why = "the deadline passed" if watchdog.expired else str(error)
                    if watchdog.refused:
                        why = f"refused address: {', '.join(watchdog.refused)}"
                    log.warning("fetching %s failed: %s", _without_token(location, token), why)
                    raise GitError(UNREADABLE) from None
            _make_private(cache)
            head = (result.refs or {}).get(ref)
            if head is None:
                raise GitError(f"The repository has no branch '{branch}'.")
            return _snapshot(repo, head, folder)
        finally:
            repo.close()


def _without_token(location: Location, token: str | None) -> str:
    text = location.target
    return text.replace(token, "********") if token else text


def _snapshot(repo: Repo, head: bytes, folder: str) -> Snapshot:
    commit = repo[head]
    if not isinstance(commit, Commit):
        raise GitError("The branch does not point to a commit.")
    tree = repo[commit.tree]
    assert isinstance(tree, Tree)
    if folder:
        try:
            _mode, sha = tree.lookup_path(repo.object_store.__getitem__, folder.encode())
        except KeyError:
            raise GitError(f"The folder '{folder}' does not exist on that branch.") from None
        found = repo[sha]
        if not isinstance(found, Tree):
            raise GitError(f"'{folder}' is a file, not a folder.")
        tree = found
    files: list[BlueprintFile] = []
    for entry in sorted(tree.iteritems(), key=lambda e: e.path):
        filename = entry.path.decode("utf-8", "replace")
        if not stat.S_ISREG(entry.mode) or not filename.lower().endswith(BLUEPRINT_SUFFIXES):
            continue  # sub-folders, symbolic links and other files are not blueprints
        if len(filename) > MAX_NAME:
            continue  # longer than a blueprint name may be; no such file is a blueprint
        if len(files) >= MAX_FILES:
            raise GitError(f"The folder holds more than {MAX_FILES} blueprint files.")
        blob = repo[entry.sha]
        assert isinstance(blob, Blob)
        size = blob.raw_length()
        files.append(
            BlueprintFile(
                name=PurePosixPath(filename).stem,
                path=str(PurePosixPath(folder) / filename) if folder else filename,
                blob_sha=entry.sha.decode(),
                content=blob.as_raw_string() if size <= MAX_FILE_BYTES else None,
                size=size,
            )
        )
    return Snapshot(commit=head.decode(), files=files)
