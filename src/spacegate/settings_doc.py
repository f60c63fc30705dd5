"""Renders the configuration reference (docs/configuration.md) from `Settings`.

`python -m spacegate.settings_doc > docs/configuration.md`; a test fails when the page
and the settings differ.
"""

from __future__ import annotations

from spacegate.settings import Settings


def render_markdown() -> str:
    lines = [
        "# Configuration",
        "",
        "Every setting is an environment variable with the `SPACEGATE_` prefix (a `.env` file",
        "is not read; set them in the environment of `spacegate serve`). Generated from",
        "`spacegate.settings.Settings` (`python -m spacegate.settings_doc`).",
        "",
        "| Variable | Default | Meaning |",
        "|---|---|---|",
    ]
    for name, field in Settings.model_fields.items():
        default = field.default
        shown = "—" if default is None or default == () else f"`{default}`"
        lines.append(f"| `SPACEGATE_{name.upper()}` | {shown} | {field.description or ''} |")
    lines += [
        "",
        "Also read by `spacegate accounts create`: `SPACEGATE_ADMIN_PASSWORD`, the first",
        "Account Admin's password (asked for when not set).",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render_markdown(), end="")
