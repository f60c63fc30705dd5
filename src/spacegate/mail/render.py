"""Rendering emails from templates: a text part and an HTML part of the same content."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from spacegate.mail.outbox import Mail

_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(template: str, *, recipient: str, subject: str, context: dict[str, Any]) -> Mail:
    """`template` names a pair of files: `<template>.txt` and `<template>.html`."""
    values = {"subject": subject, **context}
    return Mail(
        recipient=recipient,
        subject=subject,
        text=_env.get_template(f"{template}.txt").render(values),
        html=_env.get_template(f"{template}.html").render(values),
    )
