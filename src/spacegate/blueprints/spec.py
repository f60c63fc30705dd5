"""Torque spec 2 blueprints: parsing, pure and without I/O (what a valid blueprint is, is
`spec_checks.py`).

`parse_blueprint` reads one YAML file and returns what spacegate keeps of it: its
description, inputs, outputs and grains, the whole document (unknown keys included),
and every problem found. Problems are data, never exceptions: a broken file is still
listed, with its errors. `docs/blueprints.md` describes the subset read here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from spacegate.blueprints.spec_checks import ParsedBlueprint, Path, Problem, Validator

MAX_FILE_BYTES = 512 * 1024
# Bounds on the parsed document, counted with YAML aliases expanded: a small file with
# nested aliases ("billion laughs") must not turn into a huge JSON column.
MAX_VALUES = 50_000
MAX_DEPTH = 64


class _TooBig(Exception):
    pass


def _json_safe(value: Any, budget: list[int], depth: int = 0) -> Any:
    """The value as JSON can hold it: string keys, dates as ISO text, bytes dropped.
    Raises _TooBig past MAX_VALUES values or MAX_DEPTH levels (aliases expanded)."""
    budget[0] -= 1
    if budget[0] < 0 or depth > MAX_DEPTH:
        raise _TooBig
    if isinstance(value, dict):
        return {str(k): _json_safe(v, budget, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_json_safe(v, budget, depth + 1) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return None
    if isinstance(value, float) and value != value:  # NaN has no JSON form
        return None
    return value


def _locate(root: Node | None, path: Path) -> tuple[int, int] | None:
    """Line and column (1-based) of the deepest node of `path` found in the YAML tree."""
    node = root
    mark = node.start_mark if node is not None else None
    for key in path:
        if isinstance(node, MappingNode):
            match = next((pair for pair in node.value if str(pair[0].value) == key), None)
            if match is None:
                break
            mark = match[0].start_mark
            node = match[1]
        elif isinstance(node, SequenceNode) and key.isdigit() and int(key) < len(node.value):
            node = node.value[int(key)]
            mark = node.start_mark
        else:
            break
    return (mark.line + 1, mark.column + 1) if mark is not None else None


def parse_blueprint(name: str, content: bytes | str) -> ParsedBlueprint:
    """Parse and validate one blueprint file named `name` (its file stem)."""
    parsed = ParsedBlueprint(name=name)
    if len(content) > MAX_FILE_BYTES:
        parsed.errors.append(Problem(f"The file is larger than {MAX_FILE_BYTES // 1024} KiB."))
        return parsed
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8")
        except UnicodeDecodeError:
            parsed.errors.append(Problem("The file is not UTF-8 text."))
            return parsed
    loader = yaml.SafeLoader(content)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        reason = " ".join(part for part in (error.context, error.problem) if part)
        parsed.errors.append(
            Problem(
                f"The file is not valid YAML: {reason or 'syntax error'}.",
                line=mark.line + 1 if mark else None,
                column=mark.column + 1 if mark else None,
            )
        )
        return parsed
    except yaml.YAMLError as error:
        parsed.errors.append(Problem(f"The file is not valid YAML: {error}."))
        return parsed
    finally:
        loader.dispose()
    try:
        document = _json_safe(data, [MAX_VALUES])
    except (_TooBig, RecursionError):
        parsed.errors.append(
            Problem(
                f"The document is too large: more than {MAX_VALUES} values or "
                f"{MAX_DEPTH} levels once its YAML aliases are expanded."
            )
        )
        return parsed
    if not isinstance(document, dict):
        parsed.errors.append(
            Problem("A blueprint must be a YAML mapping (key: value pairs) at its top level.")
        )
        return parsed
    parsed.document = document
    Validator(parsed, document).run()
    for index, problem in enumerate(parsed.errors):
        if problem.line is None and problem.path:
            where = _locate(root, problem.path)
            if where is not None:
                parsed.errors[index] = Problem(problem.message, problem.path, *where)
    return parsed
