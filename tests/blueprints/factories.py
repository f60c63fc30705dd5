"""Arranging repositories and blueprints directly (without a sync) for tests."""

from __future__ import annotations

from typing import Any

from spacegate.blueprints.models import Blueprint, Repository
from spacegate.db import transaction
from spacegate.runtime import Runtime
from spacegate.spaces.models import Space

WEB_APP_INPUTS: list[dict[str, Any]] = [
    {
        "name": "image_tag",
        "type": "string",
        "description": "Tag of the image.",
        "default": "latest",
        "has_default": True,
        "sensitive": False,
        "allowed_values": None,
        "display_style": None,
    }
]


def new_repository(
    runtime: Runtime, space_id: int, name: str = "platform", url: str = "file:///nowhere"
) -> int:
    with transaction(runtime.sessions) as session:
        space = session.get(Space, space_id)
        assert space is not None
        repository = Repository(
            account_id=space.account_id,
            space_id=space_id,
            name=name,
            name_key=name.lower(),
            url=url,
            branch="main",
            path="blueprints/",
        )
        session.add(repository)
        session.flush()
        return repository.id


def new_blueprint(
    runtime: Runtime,
    repository_id: int,
    name: str = "web-app",
    *,
    published: bool = False,
    errors: list[dict[str, Any]] | None = None,
) -> None:
    with transaction(runtime.sessions) as session:
        session.add(
            Blueprint(
                repository_id=repository_id,
                name=name,
                name_key=name.lower(),
                file_path=f"blueprints/{name}.yaml",
                blob_sha="0" * 40,
                commit="1" * 40,
                description=f"The {name} blueprint.",
                inputs=WEB_APP_INPUTS,
                outputs=[],
                grains=[
                    {
                        "name": "app",
                        "kind": "helm",
                        "source_store": None,
                        "source_path": "helm/app",
                        "depends_on": [],
                    }
                ],
                errors=errors or [],
                document={"spec_version": 2},
                published=published,
            )
        )
