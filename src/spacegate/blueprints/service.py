"""A space's blueprints and its catalog: listing and finding them, publishing and
unpublishing, and validating a file a client sends (Torque's CLI). Repositories are
`repositories.py`; the blueprints a sync finds in them, `sync.py`.
"""

from __future__ import annotations

import base64
import binascii
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from spacegate.audit import service as audit
from spacegate.authz import Permission
from spacegate.blueprints.models import Blueprint, Repository
from spacegate.blueprints.spec import parse_blueprint
from spacegate.blueprints.spec_checks import Problem
from spacegate.db import utcnow
from spacegate.errors import Conflict, InvalidInput, NotFound
from spacegate.grants.context import Access
from spacegate.spaces.models import Space

log = logging.getLogger(__name__)


class BlueprintInvalid(Conflict):
    name = "BlueprintInvalid"


@dataclass(frozen=True)
class BlueprintView:
    blueprint: Blueprint
    repository_name: str


def sees_unpublished(access: Access, space: Space) -> bool:
    """The one rule of who sees a space's blueprints that are not in its catalog: those
    who publish them or manage their tags there. Everyone else who browses the space
    sees its catalog (published blueprints) only."""
    return access.has(Permission.PUBLISH_BLUEPRINTS, space.id) or access.has(
        Permission.MANAGE_BLUEPRINT_TAGS, space.id
    )


def launches_unpublished(access: Access, space: Space) -> bool:
    """Who may launch a blueprint that is not in the catalog (to try it before
    publishing it): its publishers."""
    return access.has(Permission.PUBLISH_BLUEPRINTS, space.id)


def visible_blueprints(
    session: Session, access: Access, space: Space, *, limit: int, after_id: int | None
) -> list[BlueprintView]:
    """The space's blueprints the caller sees (`sees_unpublished`), in discovery order."""
    return list_blueprints(
        session,
        space,
        published_only=not sees_unpublished(access, space),
        limit=limit,
        after_id=after_id,
    )


def find_visible_blueprint(
    session: Session, access: Access, space: Space, name: str, repository_name: str | None
) -> BlueprintView:
    """`find_blueprint` among the blueprints the caller sees (`sees_unpublished`): an
    unpublished one is NotFound (404) to those who see the catalog only."""
    return find_blueprint(
        session,
        space,
        name,
        repository_name,
        published_only=not sees_unpublished(access, space),
    )


def find_launchable_blueprint(
    session: Session, access: Access, space: Space, name: str, repository_name: str | None
) -> BlueprintView:
    """`find_blueprint` among the blueprints the caller may launch
    (`launches_unpublished`); NotFound (404) for an unpublished one otherwise."""
    return find_blueprint(
        session,
        space,
        name,
        repository_name,
        published_only=not launches_unpublished(access, space),
    )


def catalog(
    session: Session, space: Space, *, limit: int, after_id: int | None
) -> list[BlueprintView]:
    """The space's catalog: its published blueprints, in discovery order."""
    return list_blueprints(session, space, published_only=True, limit=limit, after_id=after_id)


def find_in_catalog(
    session: Session, space: Space, name: str, repository_name: str | None
) -> BlueprintView:
    """`find_blueprint` among the published blueprints."""
    return find_blueprint(session, space, name, repository_name, published_only=True)


def list_blueprints(
    session: Session,
    space: Space,
    *,
    published_only: bool,
    limit: int,
    after_id: int | None,
) -> list[BlueprintView]:
    """The space's blueprints in discovery order (by id, so pages are stable)."""
    statement = (
        select(Blueprint, Repository.name)
        .join(Repository, Repository.id == Blueprint.repository_id)
        .where(Repository.space_id == space.id)
    )
    if published_only:
        statement = statement.where(Blueprint.published.is_(True))
    if after_id is not None:
        statement = statement.where(Blueprint.id > after_id)
    rows = session.execute(statement.order_by(Blueprint.id).limit(limit))
    return [BlueprintView(blueprint, repository_name) for blueprint, repository_name in rows]


def find_blueprint(
    session: Session,
    space: Space,
    name: str,
    repository_name: str | None,
    *,
    published_only: bool,
) -> BlueprintView:
    """The blueprint `name`, from `repository_name` or, when not given, from the one
    repository that has it. Raises NotFound (404), or Conflict (409) when several
    repositories have a blueprint of that name and none was named."""
    statement = (
        select(Blueprint, Repository.name)
        .join(Repository, Repository.id == Blueprint.repository_id)
        .where(Repository.space_id == space.id, Blueprint.name_key == name.strip().lower())
    )
    if repository_name:
        statement = statement.where(Repository.name_key == repository_name.strip().lower())
    if published_only:
        statement = statement.where(Blueprint.published.is_(True))
    found = [
        BlueprintView(b, r) for b, r in session.execute(statement.order_by(Repository.name_key))
    ]
    where = f" in repository '{repository_name}'" if repository_name else ""
    if not found:
        what = "published blueprint" if published_only else "blueprint"
        raise NotFound(f"There is no {what} named '{name}'{where} in space '{space.name}'.")
    if len(found) > 1:
        names = ", ".join(view.repository_name for view in found)
        raise Conflict(
            f"Several repositories ({names}) have a blueprint named '{name}'; give repository_name."
        )
    return found[0]


def publish(
    session: Session, access: Access, space: Space, name: str, repository_name: str | None
) -> BlueprintView:
    """Add a blueprint to the space's catalog (already there: nothing changes).
    Raises BlueprintInvalid (409), listing them, when it has validation errors."""
    view = find_blueprint(session, space, name, repository_name, published_only=False)
    blueprint = view.blueprint
    if blueprint.errors:
        messages = "; ".join(error["message"] for error in blueprint.errors[:3])
        raise BlueprintInvalid(
            f"Blueprint '{blueprint.name}' has {len(blueprint.errors)} validation "
            f"error(s) and cannot be published: {messages}",
            details={"blueprint_errors": blueprint.errors},
        )
    if not blueprint.published:
        blueprint.published = True
        blueprint.published_at = utcnow()
        blueprint.published_by = access.caller.email
        session.flush()
        audit.record(
            session,
            access.caller.actor,
            "blueprint.publish",
            target_type="blueprint",
            target=blueprint.name,
            after={"space": space.name, "repository": view.repository_name},
        )
    return view


def unpublish(
    session: Session, access: Access, space: Space, name: str, repository_name: str | None
) -> None:
    """Take a blueprint out of the catalog. Raises NotFound (404) when it is not in
    it."""
    view = find_blueprint(session, space, name, repository_name, published_only=True)
    blueprint = view.blueprint
    blueprint.published = False
    blueprint.published_at = None
    blueprint.published_by = None
    session.flush()
    audit.record(
        session,
        access.caller.actor,
        "blueprint.unpublish",
        target_type="blueprint",
        target=blueprint.name,
        before={"space": space.name, "repository": view.repository_name},
    )


@dataclass(frozen=True)
class Validation:
    errors: list[dict[str, Any]]
    warnings: list[dict[str, Any]]


def validate(session: Session, space: Space, name: str | None, raw_64: str) -> Validation:
    """Validate a blueprint sent as base64 YAML, as a sync would. Warnings name grain
    stores that are not repositories of the space. Raises InvalidInput (422) when the
    text is not base64."""
    try:
        content = base64.b64decode(raw_64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("blueprint_raw_64 is not base64 text.") from None
    parsed = parse_blueprint(name or "blueprint", content)
    stores = {
        key
        for key in session.scalars(
            select(Repository.name_key).where(Repository.space_id == space.id)
        )
    }
    warnings = [
        Problem(
            f"Grain '{grain['name']}' uses store '{grain['source_store']}', which is not a "
            f"repository of space '{space.name}'.",
            ("grains", grain["name"], "spec", "source", "store"),
        ).as_dict()
        for grain in parsed.grains
        if grain["source_store"] and grain["source_store"].lower() not in stores
    ]
    return Validation(parsed.error_dicts(), warnings)
