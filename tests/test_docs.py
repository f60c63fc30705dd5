"""The docs derived from code must match it."""

from pathlib import Path

from spacegate.authz.matrix_doc import render_markdown
from spacegate.settings_doc import render_markdown as render_settings

ROOT = Path(__file__).resolve().parents[1]


def test_permissions_page_is_generated_from_the_catalog() -> None:
    page = (ROOT / "docs" / "permissions.md").read_text()
    assert page == render_markdown(), (
        "run: python -m spacegate.authz.matrix_doc > docs/permissions.md"
    )


def test_configuration_page_is_generated_from_the_settings() -> None:
    page = (ROOT / "docs" / "configuration.md").read_text()
    assert page == render_settings(), (
        "run: python -m spacegate.settings_doc > docs/configuration.md"
    )
