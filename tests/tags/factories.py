"""Arranging tag definitions and their values directly, as the service stores them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from spacegate.blueprints.models import Blueprint, Repository
from spacegate.db import transaction
from spacegate.runtime import Runtime
from spacegate.tags.models import BlueprintTagValue, SpaceTagValue, TagDefinition


def new_tag(
    runtime: Runtime,
    account_id: int,
    name: str = "team",
    *,
    scope: str = "environment",
    value: str = "",
    possible_values: Sequence[str] = (),
) -> int:
    with transaction(runtime.sessions) as session:
        tag = TagDefinition(
            account_id=account_id,
            name=name,
            name_key=name.lower(),
            value=value,
            scope=scope,
            description=f"The {name} tag.",
            possible_values=list(possible_values),
        )
        session.add(tag)
        session.flush()
        return tag.id


def set_space_value(runtime: Runtime, space_id: int, tag_id: int, value: str) -> None:
    with transaction(runtime.sessions) as session:
        session.add(SpaceTagValue(space_id=space_id, tag_id=tag_id, value=value))


def blueprint_id(runtime: Runtime, space_id: int, repository: str, blueprint: str) -> int:
    with transaction(runtime.sessions, write=False) as session:
        found = session.scalar(
            select(Blueprint.id)
            .join(Repository, Repository.id == Blueprint.repository_id)
            .where(
                Repository.space_id == space_id,
                Repository.name_key == repository.lower(),
                Blueprint.name_key == blueprint.lower(),
            )
        )
        assert found is not None, (repository, blueprint)
        return found


def set_blueprint_value(runtime: Runtime, blueprint: int, tag_id: int, value: str) -> None:
    with transaction(runtime.sessions) as session:
        session.add(BlueprintTagValue(blueprint_id=blueprint, tag_id=tag_id, value=value))
