"""Compiling and evaluating one Rego module with `regopy` (Microsoft's rego-cpp).

Each evaluation uses a fresh interpreter holding one module, the policy's `data` as the
base document and the input: policies never see each other's rules or data. Built-in
errors are strict (a failing `sprintf` or a division by zero is an error, not an
undefined value that would quietly skip a `deny` rule), and rego-cpp's own logging is
off (it would print compiler errors on the server's stdout).

regopy's `Output` cannot read every error rego-cpp reports (a call to an unknown
function comes back "ok" with an error document that `Output` fails to parse as JSON),
so queries go through regopy's C-API bindings (`regopy.rego_shared`) and the
interpreter's handle; both are stable in regopy 1.5.
"""

from __future__ import annotations

import json
import re
from typing import Any

from regopy import Interpreter, LogLevel, RegoError
from regopy.node import Node
from regopy.rego_shared import (
    NodeKind,
    rego_free_output,
    rego_output_node,
    rego_output_ok,
    rego_output_string,
    rego_query,
)

MODULE_NAME = "policy.rego"

_PACKAGE = re.compile(
    r"^[ \t]*package[ \t]+([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)[ \t]*(?:#.*)?$",
    re.MULTILINE,
)
# rego-cpp's error documents: `(errormsg 23:Function not found: foo)` (the number is
# the message's length) and locations such as `policy.rego|39|2` (byte offset, length).
_MESSAGE = re.compile(r"\(errormsg (\d+):")
_LOCATION = re.compile(re.escape(MODULE_NAME) + r"\|(\d+)\|(\d+)")
# `opa.runtime()` answers the server's process environment (secret key, database and
# SMTP passwords): no policy may call it, however it is spelled (`opa .runtime()`,
# `opa["runtime"]()`, a comment between the two). The `opa` namespace holds nothing else.
_OPA_BUILTIN = re.compile(r"(?<![\w.])opa(?:\s|#[^\n]*)*[.\[]")


class RegoFailure(Exception):
    """A module that does not compile, or a query that fails; `message` is for people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Undefined:
    pass


UNDEFINED = _Undefined()


def package_of(source: str) -> str | None:
    """The module's package (`spacegate.max_duration`), or None without a simple one."""
    found = _PACKAGE.search(source)
    return found.group(1) if found else None


def _position(source: str, offset: int) -> str:
    before = source.encode()[:offset].decode(errors="replace")
    line = before.count("\n") + 1
    column = len(before) - (before.rfind("\n") + 1) + 1
    return f"line {line}, column {column}"


def describe_errors(text: str, source: str) -> str:
    """rego-cpp's error document as sentences' worth of text: each message with the
    line and column of the module it points at, when it points at one."""
    described: list[str] = []
    for chunk in re.split(r"\(error\b", text):
        found = _MESSAGE.search(chunk)
        if found is None:
            continue
        start = found.end()
        message = chunk[start : start + int(found.group(1))].strip()
        where = _LOCATION.search(chunk)
        if where is not None:
            message = f"{message} ({_position(source, int(where.group(1)))})"
        if message not in described:
            described.append(message)
    return "; ".join(described) or "rego-cpp reported an error without a message"


def _interpreter(source: str, data: dict[str, Any], input_document: Any) -> Any:
    if _OPA_BUILTIN.search(source):
        raise RegoFailure(
            "the module refers to the opa.runtime built-in, which spacegate does not allow"
        )
    interpreter = Interpreter()
    interpreter.log_level = LogLevel.NONE
    interpreter.strict_built_in_errors = True
    try:
        interpreter.add_module(MODULE_NAME, source)
    except RegoError as error:
        raise RegoFailure(describe_errors(str(error), source)) from None
    try:
        interpreter.add_data_json(json.dumps(data))
        interpreter.set_input_term(json.dumps(input_document))
    except (RegoError, TypeError, ValueError) as error:
        raise RegoFailure(f"the data or input is not a JSON document ({error})") from None
    return interpreter


def query(source: str, data: dict[str, Any], input_document: Any, expression: str) -> Any:
    """The value of `expression` (a JSON value), or UNDEFINED. Raises RegoFailure when
    the module does not compile or the evaluation fails."""
    interpreter = _interpreter(source, data, input_document)
    try:
        output = rego_query(interpreter._impl, expression)
    except RegoError as error:
        raise RegoFailure(describe_errors(str(error), source)) from None
    try:
        text = rego_output_string(output)
        if rego_output_ok(output) and not text.startswith("("):
            if text == "undefined":
                return UNDEFINED
            result = json.loads(text)
            if isinstance(result, list):  # several results: a query with free variables
                result = result[0] if result else {}
            expressions = result.get("expressions") or []
            return expressions[0] if expressions else UNDEFINED
        node = Node(rego_output_node(output))
        errors = (
            [node.at(i).json() for i in range(len(node))]
            if node.kind == NodeKind.ErrorSeq
            else [node.json()]
        )
        raise RegoFailure(describe_errors("\n".join(errors), source))
    finally:
        rego_free_output(output)


def deny_messages(
    source: str, package: str, data: dict[str, Any], input_document: dict[str, Any]
) -> list[str]:
    """The messages of `data.<package>.deny`: strings as they are, an object's `msg`
    (conftest's style), anything else as JSON. Undefined is no message. Raises
    RegoFailure when `deny` fails or is not a set."""
    value = query(source, data, input_document, f"data.{package}.deny")
    if value is UNDEFINED:
        return []
    if not isinstance(value, list):
        raise RegoFailure("its `deny` rule is not a set of messages")
    messages: list[str] = []
    for entry in value:
        if isinstance(entry, str):
            messages.append(entry)
        elif isinstance(entry, dict) and isinstance(entry.get("msg"), str):
            messages.append(entry["msg"])
        else:
            messages.append(json.dumps(entry, sort_keys=True))
    return messages


def check_module(source: str, data: dict[str, Any]) -> str:
    """Compile the module with its data and evaluate its `deny` rule on an empty input;
    the module's package. Raises RegoFailure, with the compiler's message, for a module
    without a package, one that does not compile, or one without a `deny` set."""
    package = package_of(source)
    if package is None:
        raise RegoFailure(
            "the module has no package declaration such as `package spacegate.max_duration` "
            "(spacegate queries the `deny` rule of the module's own package)"
        )
    value = query(source, data, {}, f"data.{package}.deny")
    if value is UNDEFINED:
        raise RegoFailure(
            f"the module defines no `deny` rule in package {package} "
            f"(spacegate queries data.{package}.deny)"
        )
    if not isinstance(value, list):
        raise RegoFailure(
            "its `deny` rule must be a set of messages (`deny contains msg if { ... }`), "
            "not a single value"
        )
    return package
