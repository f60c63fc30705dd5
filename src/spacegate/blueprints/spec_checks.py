"""What a Torque spec 2 blueprint must be: its inputs, outputs and grains, and the
references between them. Problems are data (`Problem`), collected on the
`ParsedBlueprint`; `docs/blueprints.md` describes the subset checked here."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

SPEC_VERSION = 2
INPUT_TYPES = ("string", "numeric", "agent", "credentials", "execution-host", "parameter")
# Grain kinds, and those whose `spec.source.path` names the IaC code to run.
GRAIN_KINDS = (
    "terraform",
    "opentofu",
    "terragrunt",
    "helm",
    "kubernetes",
    "cloudformation",
    "ansible",
    "shell",
    "argocd",
    "blueprint",
)
SOURCED_KINDS = frozenset(
    {"terraform", "opentofu", "terragrunt", "helm", "kubernetes", "cloudformation", "ansible"}
)
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*$")
_INPUT_REF = re.compile(r"\.inputs\.([A-Za-z0-9_-]+)")
_GRAIN_REF = re.compile(r"\.grains\.([A-Za-z0-9_-]+)")

Path = tuple[str, ...]


@dataclass(frozen=True)
class Problem:
    """One validation error: a sentence, where it is (Torque's `a->b->c` path), and the
    line and column in the file when known."""

    message: str
    path: Path = ()
    line: int | None = None
    column: int | None = None

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"message": self.message}
        if self.path:
            found["path"] = "->".join(self.path)
        if self.line is not None:
            found["line"] = self.line
            found["column"] = self.column
        return found


@dataclass
class ParsedBlueprint:
    name: str
    description: str = ""
    inputs: list[dict[str, Any]] = field(default_factory=list)
    outputs: list[dict[str, Any]] = field(default_factory=list)
    grains: list[dict[str, Any]] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    document: dict[str, Any] = field(default_factory=dict)

    def error_dicts(self) -> list[dict[str, Any]]:
        return [problem.as_dict() for problem in self.errors]


def _strings(value: Any, path: Path) -> Iterator[tuple[str, Path]]:
    """Every string inside `value`, with its path."""
    if isinstance(value, str):
        yield value, path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, str(index)))


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


class Validator:
    def __init__(self, parsed: ParsedBlueprint, document: dict[str, Any]) -> None:
        self.parsed = parsed
        self.doc = document

    def error(self, message: str, *path: str) -> None:
        self.parsed.errors.append(Problem(message, tuple(path)))

    def run(self) -> None:
        self.spec_version()
        description = self.doc.get("description")
        if description is not None and not isinstance(description, str):
            self.error("The description must be text.", "description")
        else:
            self.parsed.description = (description or "").strip()
        self.inputs()
        grain_names = self.grains()
        self.outputs()
        self.references(grain_names)

    def spec_version(self) -> None:
        version = self.doc.get("spec_version")
        if version is None:
            self.error(
                f"spec_version is missing; spacegate reads spec_version {SPEC_VERSION} blueprints.",
                "spec_version",
            )
        elif str(version).strip() != str(SPEC_VERSION):
            self.error(
                f"spec_version {version} is not supported; use spec_version {SPEC_VERSION}.",
                "spec_version",
            )

    def _mapping(self, key: str) -> dict[str, Any]:
        value = self.doc.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.error(f"'{key}' must be a mapping of names to their definitions.", key)
            return {}
        return value

    def inputs(self) -> None:
        for name, spec in self._mapping("inputs").items():
            if not _NAME.match(name):
                self.error(f"'{name}' is not a valid input name.", "inputs", name)
            if spec is None:
                spec = {}
            if not isinstance(spec, dict):
                self.error(
                    f"Input '{name}' must be a mapping (type, default, ...).", "inputs", name
                )
                continue
            kind = spec.get("type", "string")
            if kind not in INPUT_TYPES:
                self.error(
                    f"Input '{name}' has an unknown type '{kind}'; use one of "
                    f"{', '.join(INPUT_TYPES)}.",
                    "inputs",
                    name,
                    "type",
                )
            sensitive = spec.get("sensitive", False)
            if not isinstance(sensitive, bool):
                self.error(f"'sensitive' of input '{name}' must be true or false.", "inputs", name)
                sensitive = True  # when in doubt, hide the default
            has_default = "default" in spec and spec["default"] is not None
            default = spec.get("default")
            if has_default and not _scalar(default):
                self.error(f"The default of input '{name}' must be a single value.", "inputs", name)
            if has_default and kind == "numeric" and not _is_number(default):
                self.error(
                    f"The default of numeric input '{name}' is not a number.", "inputs", name
                )
            allowed = spec.get("allowed-values")
            if allowed is not None:
                if not isinstance(allowed, list) or not all(_scalar(v) for v in allowed):
                    self.error(
                        f"'allowed-values' of input '{name}' must be a list of values.",
                        "inputs",
                        name,
                        "allowed-values",
                    )
                    allowed = None
                elif has_default and default not in allowed:
                    self.error(
                        f"The default of input '{name}' is not one of its allowed-values.",
                        "inputs",
                        name,
                        "default",
                    )
            description = spec.get("description")
            self.parsed.inputs.append(
                {
                    "name": name,
                    "type": kind if isinstance(kind, str) else str(kind),
                    "description": description if isinstance(description, str) else None,
                    "default": default if has_default and _scalar(default) else None,
                    "has_default": has_default,
                    "sensitive": sensitive,
                    "allowed_values": allowed,
                    "display_style": spec.get("display-style"),
                }
            )

    def grains(self) -> set[str]:
        if not self.doc.get("grains"):
            self.error("A blueprint needs at least one grain.", "grains")
        grains = self._mapping("grains")
        names = set(grains)
        for name, spec in grains.items():
            if not _NAME.match(name):
                self.error(f"'{name}' is not a valid grain name.", "grains", name)
            if not isinstance(spec, dict):
                self.error(f"Grain '{name}' must be a mapping (kind, spec, ...).", "grains", name)
                continue
            kind = spec.get("kind")
            if kind is None:
                self.error(f"Grain '{name}' has no kind.", "grains", name)
            elif kind not in GRAIN_KINDS:
                self.error(
                    f"Grain '{name}' has an unknown kind '{kind}'; use one of "
                    f"{', '.join(GRAIN_KINDS)}.",
                    "grains",
                    name,
                    "kind",
                )
            body = spec.get("spec")
            source = body.get("source") if isinstance(body, dict) else None
            if body is not None and not isinstance(body, dict):
                self.error(f"The spec of grain '{name}' must be a mapping.", "grains", name, "spec")
            if source is not None and not isinstance(source, dict):
                self.error(
                    f"The source of grain '{name}' must be a mapping (store, path).",
                    "grains",
                    name,
                    "spec",
                    "source",
                )
                source = None
            path = source.get("path") if source else None
            store = source.get("store") if source else None
            if (
                isinstance(kind, str)
                and kind in SOURCED_KINDS
                and not (isinstance(path, str) and path.strip())
            ):
                self.error(
                    f"Grain '{name}' of kind {kind} needs spec.source.path: where its code is.",
                    "grains",
                    name,
                    "spec",
                    "source",
                    "path",
                )
            cost = spec.get("cost_per_hour")  # a spacegate extension: the hourly estimate
            if cost is not None and (
                isinstance(cost, bool) or not isinstance(cost, int | float) or not 0 <= cost < 1e9
            ):
                self.error(
                    f"'cost_per_hour' of grain '{name}' must be a number of 0 or more.",
                    "grains",
                    name,
                    "cost_per_hour",
                )
            depends = self.depends_on(name, spec.get("depends-on"), names)
            self.parsed.grains.append(
                {
                    "name": name,
                    "kind": kind if isinstance(kind, str) else None,
                    "source_store": store if isinstance(store, str) else None,
                    "source_path": path if isinstance(path, str) else None,
                    "depends_on": depends,
                }
            )
        return names

    def depends_on(self, grain: str, value: Any, names: set[str]) -> list[str]:
        if value is None:
            return []
        if isinstance(value, str):
            wanted = [part.strip() for part in value.split(",") if part.strip()]
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            wanted = [v.strip() for v in value]
        else:
            self.error(
                f"'depends-on' of grain '{grain}' must be grain names.",
                "grains",
                grain,
                "depends-on",
            )
            return []
        for other in wanted:
            if other == grain:
                self.error(f"Grain '{grain}' depends on itself.", "grains", grain, "depends-on")
            elif other not in names:
                self.error(
                    f"Grain '{grain}' depends on '{other}', which is not a grain of this "
                    "blueprint.",
                    "grains",
                    grain,
                    "depends-on",
                )
        return wanted

    def outputs(self) -> None:
        for name, spec in self._mapping("outputs").items():
            if isinstance(spec, str):
                spec = {"value": spec}
            if not isinstance(spec, dict):
                self.error(f"Output '{name}' must be a mapping (value, ...).", "outputs", name)
                continue
            value = spec.get("value")
            if not isinstance(value, str) or not value.strip():
                self.error(f"Output '{name}' has no value.", "outputs", name)
            description = spec.get("description")
            self.parsed.outputs.append(
                {
                    "name": name,
                    "value": value if isinstance(value, str) else None,
                    "description": description if isinstance(description, str) else None,
                    "kind": spec.get("kind") if isinstance(spec.get("kind"), str) else None,
                    "quick": bool(spec.get("quick", False)),
                }
            )

    def references(self, grain_names: set[str]) -> None:
        """`{{ .inputs.x }}` and `{{ .grains.y... }}` must name what the blueprint declares."""
        inputs = {entry["name"] for entry in self.parsed.inputs}
        for section in ("grains", "outputs"):
            for text, path in _strings(self.doc.get(section), (section,)):
                if "{{" not in text:
                    continue
                for ref in _INPUT_REF.findall(text):
                    if ref not in inputs:
                        self.error(
                            f"'{ref}' is used as an input but not declared in inputs.", *path
                        )
                for ref in _GRAIN_REF.findall(text):
                    if ref not in grain_names:
                        self.error(f"'{ref}' is used as a grain but there is no such grain.", *path)


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    try:
        float(str(value))
    except ValueError:
        return False
    return True
