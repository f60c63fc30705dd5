"""What spacegate's SCIM service publishes and parses, built with scim2-models.

The User and Group schemas are the RFC 7643 core schemas narrowed to the attributes
spacegate stores (and so can answer back as they were written); the models that parse
requests and PATCH operations are made from those same schemas, so what is published,
accepted and returned cannot drift apart.

Users: `userName` is the spacegate user's email (the sign-in identifier), `name` its
first and last name, `active` its status; `displayName`, `emails` and `externalId` are
kept as sent. Groups: `displayName` is the group's name, `members` its users.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    ETag,
    Filter,
    Group,
    Patch,
    Resource,
    ResourceType,
    Schema,
    ScimPolicy,
    ServiceProviderConfig,
    Sort,
    User,
)

MAX_RESULTS = 500

USER_ATTRIBUTES: dict[str, set[str] | None] = {
    "userName": None,
    "name": {"givenName", "familyName"},
    "displayName": None,
    "emails": {"value", "type", "primary"},
    "active": None,
}
GROUP_ATTRIBUTES: dict[str, set[str] | None] = {
    "displayName": None,
    "members": {"value", "$ref", "type"},
}

POLICY = ScimPolicy(
    # Providers send attributes spacegate does not keep (Okta's locale and password,
    # Entra ID's enterprise extension): they are accepted and dropped.
    unknown=ScimPolicy.Unknown.ignore,
    # Entra ID removes members with a value instead of a path filter, and writes to
    # `emails[type eq "work"].value` before any work email exists.
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)


def _narrowed(schema: Schema, keep: dict[str, set[str] | None]) -> Schema:
    attributes = []
    for attribute in schema.attributes or []:
        if attribute.name not in keep:
            continue
        sub = keep[attribute.name]
        if sub is not None:
            subs = [s for s in attribute.sub_attributes or [] if s.name in sub]
            if attribute.name == "members":
                subs = [
                    s.model_copy(update={"reference_types": ["User"]}) if s.name == "$ref" else s
                    for s in subs
                ]
            attribute = attribute.model_copy(update={"sub_attributes": subs})
        attributes.append(attribute)
    return schema.model_copy(update={"attributes": attributes})


@cache
def user_schema() -> Schema:
    return _narrowed(User.to_schema(), USER_ATTRIBUTES)


@cache
def group_schema() -> Schema:
    return _narrowed(Group.to_schema(), GROUP_ATTRIBUTES)


@cache
def user_model() -> type[Resource[Any]]:
    return Resource.from_schema(user_schema())


@cache
def group_model() -> type[Resource[Any]]:
    return Resource.from_schema(group_schema())


def schemas() -> list[Schema]:
    return [user_schema(), group_schema()]


def resource_types(base: str) -> list[ResourceType]:
    return [
        ResourceType(
            id="User",
            name="User",
            description="The account's users; userName is their email.",
            endpoint="/Users",
            schema_=str(user_schema().id),
            meta={"resourceType": "ResourceType", "location": f"{base}/ResourceTypes/User"},
        ),
        ResourceType(
            id="Group",
            name="Group",
            description="The account's groups mapped to the identity provider.",
            endpoint="/Groups",
            schema_=str(group_schema().id),
            meta={"resourceType": "ResourceType", "location": f"{base}/ResourceTypes/Group"},
        ),
    ]


def service_provider_config(base: str, documentation: str) -> ServiceProviderConfig:
    return ServiceProviderConfig(
        documentation_uri=documentation,
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=False),
        authentication_schemes=[
            AuthenticationScheme(
                type="oauthbearertoken",
                name="Bearer token",
                description="A SCIM token created by an Account Admin "
                "(POST /api/settings/scim/tokens).",
                primary=True,
            )
        ],
        meta={"resourceType": "ServiceProviderConfig", "location": f"{base}/ServiceProviderConfig"},
    )
