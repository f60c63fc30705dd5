"""A real git repository made by a test, with dulwich (no git binary needed): the origin
that a blueprint repository's sync reads."""

from __future__ import annotations

import shutil
from pathlib import Path

from dulwich import porcelain
from dulwich.refs import Ref
from dulwich.repo import Repo

EXAMPLE_REPO = Path(__file__).resolve().parents[2] / "examples" / "blueprint-repo"
AUTHOR = b"Test Author <author@example.com>"


class Origin:
    """A non-bare repository whose `main` branch the tests commit to."""

    def __init__(self, root: Path, branch: str = "main") -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        repo = Repo.init(str(root))
        repo.refs.set_symbolic_ref(Ref(b"HEAD"), Ref(f"refs/heads/{branch}".encode()))
        repo.close()

    @property
    def url(self) -> str:
        return self.root.as_uri()  # file:///...

    def commit(self, changes: dict[str, str | None], message: str = "change") -> str:
        """Write (text) or delete (None) files, commit them all; the new commit's id."""
        with Repo(str(self.root)) as repo:
            removed = []
            for name, text in changes.items():
                path = self.root / name
                if text is None:
                    removed.append(str(path))
                else:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(text)
            if removed:
                porcelain.remove(repo, paths=removed)
            porcelain.add(
                repo, paths=[str(self.root / n) for n, t in changes.items() if t is not None]
            )
            return porcelain.commit(
                repo, message=message.encode(), author=AUTHOR, committer=AUTHOR
            ).decode()

    def commit_tree(self, source: Path, message: str = "import") -> str:
        """Copy a folder's files into the repository and commit them."""
        changes: dict[str, str | None] = {}
        for path in sorted(source.rglob("*")):
            if path.is_file():
                relative = path.relative_to(source).as_posix()
                target = self.root / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
                changes[relative] = path.read_text()
        return self.commit(changes, message)


def example_origin(root: Path) -> Origin:
    """The example repository of `examples/blueprint-repo`, committed on `main`."""
    origin = Origin(root)
    origin.commit_tree(EXAMPLE_REPO, "the example blueprints")
    return origin
