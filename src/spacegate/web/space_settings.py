"""A space's Settings, beyond its Users (`spacegate.web.spaces`): Settings > Tags with a
blueprint's tags (`space_tags`) and Settings > Policies (`space_policies`), served
together."""

from __future__ import annotations

from fastapi import APIRouter

from spacegate.web import space_policies, space_tags

router = APIRouter(include_in_schema=False)
router.include_router(space_tags.router)
router.include_router(space_policies.router)
