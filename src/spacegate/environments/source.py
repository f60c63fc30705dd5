"""Writing a grain's source folder, as it was at the launched commit, into a directory.

The commit is read from the repository's sync cache (`spacegate.blueprints.git`); when
the cache does not have it (another replica synced, or the cache was cleared) the
branch is fetched once more. Files only: symbolic links and sub-repositories are
skipped, and no path may leave the target directory.
"""

from __future__ import annotations

import stat
from pathlib import Path, PurePosixPath

from dulwich.objects import Blob, Commit, ObjectID, Tree
from dulwich.repo import Repo

from spacegate.blueprints import git
from spacegate.environments.executors.base import ExecutorError

MAX_FILES = 5000


def export_folder(
    *,
    cache: Path,
    location: git.Location,
    branch: str,
    token: str | None,
    fetching: git.Fetching,
    commit: str,
    folder: str,
    target: Path,
) -> int:
    """Write the files under `folder` of `commit` into `target`; answers how many.
    Raises ExecutorError with a sentence."""
    sha = ObjectID(commit.encode())
    if not _has(cache, sha):
        try:
            git.read_branch(location, branch, "", cache, token, fetching)
        except git.GitError as error:
            raise ExecutorError(f"The grain's repository could not be read: {error}") from None
        if not _has(cache, sha):
            raise ExecutorError(
                f"Commit {commit[:12]} is no longer on branch '{branch}'; sync the repository "
                "and launch again."
            )
    with Repo(str(cache)) as repo:
        found = repo[sha]
        if not isinstance(found, Commit):
            raise ExecutorError(f"{commit[:12]} is not a commit.")
        tree_id = found.tree
        clean = PurePosixPath(folder.strip("/")) if folder.strip("/") else None
        if clean is not None:
            try:
                _mode, tree_id = repo[found.tree].lookup_path(  # type: ignore[attr-defined]
                    repo.object_store.__getitem__, str(clean).encode()
                )
            except KeyError:
                raise ExecutorError(
                    f"The folder '{folder}' does not exist at commit {commit[:12]}."
                ) from None
            if not isinstance(repo[tree_id], Tree):
                raise ExecutorError(f"'{folder}' is a file, not a folder.")
        count = 0
        root = target.resolve()
        for entry in repo.object_store.iter_tree_contents(tree_id):
            if entry.path is None or entry.mode is None or entry.sha is None:
                continue
            if not stat.S_ISREG(entry.mode):
                continue
            relative = PurePosixPath(entry.path.decode("utf-8", "replace"))
            destination = (root / relative).resolve()
            if not destination.is_relative_to(root):
                continue
            blob = repo[entry.sha]
            if not isinstance(blob, Blob):
                continue
            count += 1
            if count > MAX_FILES:
                raise ExecutorError(f"The folder '{folder}' holds more than {MAX_FILES} files.")
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(blob.as_raw_string())
            if entry.mode & 0o111:
                destination.chmod(0o755)
        if count == 0:
            raise ExecutorError(f"The folder '{folder}' has no files at commit {commit[:12]}.")
        return count


def _has(cache: Path, sha: ObjectID) -> bool:
    if not (cache / "HEAD").exists():
        return False
    with Repo(str(cache)) as repo:
        return sha in repo.object_store
