"""Renders the permission matrix as Markdown from the catalog (docs/permissions.md).

`python -m spacegate.authz.matrix_doc > docs/permissions.md` regenerates the page; a
test fails when the committed page and the catalog differ.
"""

from __future__ import annotations

from spacegate.authz.catalog import CATALOG, BuiltinRole

_COLUMNS = (
    BuiltinRole.ADMIN,
    BuiltinRole.SPACE_ADMIN,
    BuiltinRole.SPACE_DEVELOPER,
    BuiltinRole.SPACE_MEMBER,
)


def render_markdown() -> str:
    header = "| Permission | Id | Level | " + " | ".join(role.value for role in _COLUMNS) + " |"
    rule = "|---|---|---|" + ":-:|" * len(_COLUMNS)
    lines = [
        "# Permissions",
        "",
        "Generated from `spacegate.authz.catalog` (`python -m spacegate.authz.matrix_doc`);",
        "do not edit by hand. `Admin` is the Account Admin; the Account Member role holds no",
        "permission of its own and gets its permissions from a role in each space.",
        "",
        header,
        rule,
    ]
    for spec in CATALOG:
        dots = " | ".join("●" if role in spec.holders else "" for role in _COLUMNS)
        lines.append(f"| {spec.label} | `{spec.id.value}` | {spec.level.value} | {dots} |")
    lines += ["", "## What each permission covers", ""]
    lines += [f"- `{spec.id.value}`: {spec.description}" for spec in CATALOG]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render_markdown(), end="")
