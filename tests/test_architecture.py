"""The layering of src/spacegate, read from its imports.

- No module imports itself back, however indirectly (module-level graph). Every
  `import` statement counts: at the top of a module, inside functions, and under
  `TYPE_CHECKING`. An import of a submodule (`spacegate.authz.catalog`) is an edge to
  that submodule only, not to the packages above it, which Python also runs: a package's
  `__init__` importing its own submodules is how a package shows its API, not a cycle.
- The domain and core packages form layers: their package-level graph has no cycle.
  The edge (routes and pages, the guards, the app and CLI, the runtime that builds the
  installation) sits above them all; it imports any of them, and none of them imports
  it. A domain package holds its own routes (`<domain>/api.py`), so a domain and the
  edge may appear to import each other at package level; that pair is inherent, and it
  is why the edge is told apart module by module.
- Lower domains ask the domains above them through `spacegate.consult`, never by import.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import spacegate

SOURCE = Path(spacegate.__file__).parent
ROOT = "spacegate"

EDGE_MODULES = {
    "spacegate.app",
    "spacegate.cli",
    "spacegate.deps",
    "spacegate.runtime",
    "spacegate.http_errors",
    "spacegate.scim.routing",  # the SCIM routes' shared FastAPI plumbing
}
EDGE_PACKAGES = {"spacegate.access", "spacegate.web"}

# Upward edges of the domain layer that are allowed, each with its reason. Nothing else
# may point up.
ALLOWED_UPWARD = {
    ("grants", "accounts"): "grants.cache.mark_changed bumps accounts.authz_version, the "
    "version other processes poll; grants.context sits below every domain",
    ("grants", "users"): "grants.loader reads the grants the index is built from: users' "
    "account roles",
    ("grants", "roles"): "grants.loader reads the custom roles the index is built from",
    ("grants", "spaces"): "grants.loader reads the memberships the index is built from",
    ("grants", "groups"): "grants.loader reads the groups the index is built from",
    ("users", "groups"): "rule 5 holds through groups: the last-admin check in users.service "
    "counts the Admins a group makes (groups.admins)",
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SOURCE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    return {_module_name(path): path for path in SOURCE.rglob("*.py")}


def _imported(name: str, path: Path) -> Iterator[str]:
    """The spacegate modules `name` imports (anywhere in it)."""
    known = modules()
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            submodules = [f"{source}.{alias.name}" for alias in node.names]
            targets = [t for t in submodules if t in known] or [source]
        else:
            continue
        for target in targets:
            while target and target not in known:  # `import spacegate.x.y` of an object
                target = target.rpartition(".")[0]
            if target.startswith(ROOT + ".") and target != name:
                yield target


@cache
def module_graph() -> dict[str, frozenset[str]]:
    return {name: frozenset(_imported(name, path)) for name, path in modules().items()}


def is_edge(module: str) -> bool:
    parts = module.split(".")
    package = ".".join(parts[:2])
    routes = parts[-1] == "api" or parts[-1].endswith("_api")
    return module in EDGE_MODULES or package in EDGE_PACKAGES or routes


def package_of(module: str) -> str:
    """`spacegate.users.service` -> `users`; a root module is its own package."""
    return module.split(".")[1] if "." in module else module


def _cycle(graph: dict[str, set[str]] | dict[str, frozenset[str]]) -> list[str] | None:
    """One cycle of `graph`, as the list of its nodes, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)) is not None:
            return found
    return None


def domain_package_graph() -> dict[str, set[str]]:
    """Package -> packages it imports, counting only modules below the edge."""
    graph: dict[str, set[str]] = defaultdict(set)
    for module, imported in module_graph().items():
        if is_edge(module):
            continue
        for target in imported:
            if not is_edge(target) and package_of(target) != package_of(module):
                graph[package_of(module)].add(package_of(target))
    return graph


def test_the_module_graph_has_no_cycle() -> None:
    assert _cycle(module_graph()) is None


def test_nothing_below_the_edge_imports_the_edge() -> None:
    upward = sorted(
        f"{module} imports {target}"
        for module, imported in module_graph().items()
        if not is_edge(module)
        for target in imported
        if is_edge(target)
    )
    assert upward == []


def test_the_domain_packages_form_layers() -> None:
    graph = domain_package_graph()
    for (lower, upper), reason in ALLOWED_UPWARD.items():
        assert upper in graph[lower], f"no longer needed, remove the exception: {reason}"
        graph[lower].discard(upper)
    assert _cycle(graph) is None


def test_the_graph_is_read_from_real_imports() -> None:
    """Guards against a walker that finds nothing: known edges are seen."""
    graph = module_graph()
    assert "spacegate.spaces.service" in graph["spacegate.access.guard"]
    assert "spacegate.users.service" in graph["spacegate.spaces.members"]
    assert "spacegate.authz.catalog" in graph["spacegate.authz.masks"]
    assert is_edge("spacegate.users.api") and not is_edge("spacegate.users.service")
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
