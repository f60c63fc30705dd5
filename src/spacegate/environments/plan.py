"""What a launch deploys, read from its blueprint: the inputs checked against the
blueprint's declarations, the grains in deployment order with their sources and hourly
cost, and the `{{ .inputs.x }}` / `{{ .grains.g.outputs.o }}` templates filled in.

Pure: no database, no I/O. `spacegate.environments.service` builds a plan at launch
and stores it on the environment; the worker deploys from it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from spacegate.errors import InvalidInput

MAX_INPUT_LENGTH = 4096
MASK = "********"
_TEMPLATE = re.compile(r"\{\{\s*\.([A-Za-z0-9_.-]+)\s*\}\}")


@dataclass(frozen=True)
class Inputs:
    """Validated input values (every one a string), and which of them are sensitive."""

    values: dict[str, str]
    sensitive: frozenset[str]

    @property
    def public(self) -> dict[str, str]:
        return {k: v for k, v in self.values.items() if k not in self.sensitive}

    @property
    def secret(self) -> dict[str, str]:
        return {k: v for k, v in self.values.items() if k in self.sensitive}

    @property
    def masked(self) -> dict[str, str]:
        return {k: MASK if k in self.sensitive else v for k, v in self.values.items()}


def _as_text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float) and not (
        isinstance(value, float) and not math.isfinite(value)
    ):
        return str(value)
    if isinstance(value, str):
        return value
    return None


def _number(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _same(kind: str, given: str, allowed: Any) -> bool:
    text = _as_text(allowed)
    if text is None:
        return False
    if kind == "numeric":
        a, b = _number(given), _number(text)
        return a is not None and a == b
    return given == text


def validate_inputs(declared: list[dict[str, Any]], given: Mapping[str, Any]) -> Inputs:
    """Check `given` against the blueprint's input declarations: no unknown names,
    every input without a default given, numbers for numeric inputs, one of the
    allowed values where the blueprint lists them. Defaults fill what is not given.
    Raises InvalidInput (422) with a sentence naming the input."""
    by_name = {entry["name"]: entry for entry in declared}
    unknown = sorted(set(given) - set(by_name))
    if unknown:
        names = ", ".join(f"'{name}'" for name in unknown)
        raise InvalidInput(f"The blueprint has no input named {names}.")
    values: dict[str, str] = {}
    sensitive: set[str] = set()
    for name, entry in by_name.items():
        kind = entry.get("type") or "string"
        if entry.get("sensitive"):
            sensitive.add(name)
        field = f"inputs.{name}"
        raw = given.get(name)
        if raw is None and entry.get("has_default"):
            raw = entry.get("default")
        if raw is None or (isinstance(raw, str) and raw == "" and not entry.get("has_default")):
            raise InvalidInput(f"The input '{name}' is required: give it a value.", field=field)
        text = _as_text(raw)
        if text is None:
            raise InvalidInput(
                f"The input '{name}' must be a single value (text or a number).", field=field
            )
        if len(text) > MAX_INPUT_LENGTH:
            raise InvalidInput(
                f"The input '{name}' must be at most {MAX_INPUT_LENGTH} characters long.",
                field=field,
            )
        if kind == "numeric" and _number(text) is None:
            raise InvalidInput(f"The input '{name}' must be a number.", field=field)
        allowed = entry.get("allowed_values")
        if allowed and not any(_same(kind, text, option) for option in allowed):
            choices = ", ".join(str(_as_text(option)) for option in allowed)
            shown = "that value" if name in sensitive else f"'{text}'"
            raise InvalidInput(
                f"The input '{name}' cannot be {shown}; choose one of: {choices}.", field=field
            )
        values[name] = text
    return Inputs(values, frozenset(sensitive))


# -- grains -------------------------------------------------------------------------------


def cost_per_hour(value: Any) -> float:
    """A grain's `cost_per_hour` (a spacegate extension); 0 when absent or not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return 0.0
    number = _number(str(value))
    return number if number is not None and number >= 0 else 0.0


def grain_inputs(spec: Mapping[str, Any]) -> dict[str, Any]:
    """A grain's `spec.inputs`: Torque writes a list of one-key mappings; a mapping is
    read the same way."""
    raw = spec.get("inputs")
    found: dict[str, Any] = {}
    if isinstance(raw, Mapping):
        found.update(raw)
    elif isinstance(raw, list):
        for item in raw:
            if isinstance(item, Mapping):
                found.update(item)
    return {str(key): value for key, value in found.items()}


def grain_output_names(spec: Mapping[str, Any]) -> list[str]:
    raw = spec.get("outputs")
    if isinstance(raw, list):
        return [str(item) for item in raw if isinstance(item, str | int)]
    if isinstance(raw, Mapping):
        return [str(key) for key in raw]
    return []


def deployment_order(grains: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The grains, each after those it depends on. Raises InvalidInput on a cycle."""
    by_name = {grain["name"]: grain for grain in grains}
    ordered: list[dict[str, Any]] = []
    state: dict[str, str] = {}

    def visit(name: str, trail: tuple[str, ...]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            cycle = " -> ".join((*trail, name))
            raise InvalidInput(f"The blueprint's grains depend on each other in a cycle: {cycle}.")
        state[name] = "visiting"
        for other in by_name[name].get("depends_on") or []:
            if other in by_name:
                visit(other, (*trail, name))
        state[name] = "done"
        ordered.append(by_name[name])

    for grain in grains:
        visit(grain["name"], ())
    return ordered


# -- templates ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """What templates may refer to: `.inputs.x`, `.grains.g.outputs.o`,
    `.environment.id` and `.environment.name`."""

    inputs: Mapping[str, str]
    grain_outputs: Mapping[str, Mapping[str, str]]
    environment_id: str
    environment_name: str

    def lookup(self, path: str) -> str | None:
        parts = path.split(".")
        if len(parts) == 2 and parts[0] == "inputs":
            return self.inputs.get(parts[1])
        if len(parts) == 4 and parts[0] == "grains" and parts[2] == "outputs":
            return self.grain_outputs.get(parts[1], {}).get(parts[3])
        if parts == ["environment", "id"] or parts == ["sandboxid"]:
            return self.environment_id
        if parts == ["environment", "name"]:
            return self.environment_name
        return None


def render(value: Any, context: Context) -> Any:
    """`value` with every template it contains filled in; strings, lists and mappings
    are walked. A reference to nothing known is left as written."""
    if isinstance(value, str):

        def fill(match: re.Match[str]) -> str:
            found = context.lookup(match.group(1))
            return match.group(0) if found is None else found

        return _TEMPLATE.sub(fill, value)
    if isinstance(value, list):
        return [render(item, context) for item in value]
    if isinstance(value, Mapping):
        return {key: render(item, context) for key, item in value.items()}
    return value


def render_text(value: Any, context: Context) -> str:
    rendered = render(value, context)
    text = _as_text(rendered)
    return text if text is not None else str(rendered)
