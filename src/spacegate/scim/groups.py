"""SCIM Groups: the account's groups that belong to the identity provider, i.e. those
with an `idp_identifier` (created through SCIM, or mapped by an Account Admin).
Groups kept in spacegate alone are neither listed nor changed here.

`displayName` is the group's name; the provider's `externalId` (or, without one, the
display name) is its `idp_identifier`, which SSO group claims are matched against.
Members are the account's users by SCIM id. Taking the last active Account Admin out of
their group, or deleting it, is refused (409, rule 5). Raises ScimError.
"""

from __future__ import annotations

from typing import Any

from scim2_models import Context, Meta, PatchOp, Resource
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from spacegate.audit import service as audit
from spacegate.errors import InvalidInput, LastAdmin
from spacegate.grants.cache import lock_account, mark_changed
from spacegate.groups.admins import ensure_an_admin_remains
from spacegate.groups.membership import delete_without_checks, replace_members
from spacegate.groups.models import Group, GroupMember
from spacegate.names import clean_name
from spacegate.scim.errors import ScimError
from spacegate.scim.models import ScimGroup
from spacegate.scim.resources import POLICY, group_model
from spacegate.scim.tokens import ScimCaller
from spacegate.users.models import User


def to_resource(session: Session, group: Group, base: str) -> Resource[Any]:
    extra = session.get(ScimGroup, group.id)
    member_ids = session.scalars(
        select(GroupMember.user_id)
        .where(GroupMember.group_id == group.id)
        .order_by(GroupMember.user_id)
    )
    data: dict[str, Any] = {
        "id": scim_id(group),
        "displayName": group.name,
        "meta": Meta(
            resource_type="Group",
            created=group.created_at,
            last_modified=group.updated_at,
            location=f"{base}/Groups/{scim_id(group)}",
        ),
    }
    members = [
        {"value": str(user_id), "$ref": f"{base}/Users/{user_id}", "type": "User"}
        for user_id in member_ids
    ]
    if members:
        data["members"] = members
    if extra is not None and extra.external_id is not None:
        data["externalId"] = extra.external_id
    return group_model().model_validate(data)


def parse(payload: dict[str, Any], context: Context) -> Resource[Any]:
    try:
        return group_model().model_validate(payload, scim_ctx=context, scim_policy=POLICY)
    except ValueError as error:
        raise ScimError.from_validation(error) from None


def _visible(caller: ScimCaller) -> Any:
    return (Group.account_id == caller.account_id) & Group.idp_identifier.is_not(None)


def scim_id(group: Group) -> str:
    """Groups' SCIM ids differ from users' (`g` and the row id): a search over both
    resource types names each resource once."""
    return f"g{group.id}"


def find(session: Session, caller: ScimCaller, group_id: str) -> Group:
    number = group_id[1:] if group_id.startswith("g") else ""
    group = (
        session.scalar(select(Group).where(Group.id == int(number), _visible(caller)))
        if number.isdigit() and len(number) < 19
        else None
    )
    if group is None:
        raise ScimError(404, f"There is no group with id {group_id}.")
    return group


def _name(resource: Resource[Any]) -> str:
    try:
        return clean_name(str(getattr(resource, "display_name", None) or ""), "group")
    except InvalidInput as error:
        raise ScimError(400, error.message, "invalidValue") from None


def _member_ids(session: Session, caller: ScimCaller, resource: Resource[Any]) -> set[int]:
    wanted: set[int] = set()
    for member in getattr(resource, "members", None) or []:
        value = str(member.value or "")
        if not value.isdigit() or len(value) >= 19:
            raise ScimError(400, f"There is no user with id {value}.", "invalidValue")
        wanted.add(int(value))
    if wanted:
        known = set(
            session.scalars(
                select(User.id).where(User.account_id == caller.account_id, User.id.in_(wanted))
            )
        )
        unknown = sorted(wanted - known)
        if unknown:
            raise ScimError(400, f"There is no user with id {unknown[0]}.", "invalidValue")
    return wanted


def _write(session: Session, caller: ScimCaller, group: Group, resource: Resource[Any]) -> None:
    """Name, identifier and members from the resource; the account lock is taken."""
    name = _name(resource)
    clash = session.scalar(
        select(Group).where(Group.account_id == caller.account_id, Group.name_key == name.lower())
    )
    if clash is not None and clash.id != group.id:
        raise ScimError(409, f"A group named '{name}' already exists.", "uniqueness")
    external_id = str(resource.external_id).strip() if resource.external_id else None
    extra = session.get(ScimGroup, group.id) if group.id is not None else None
    old_external = extra.external_id if extra else None
    if (
        group.idp_identifier is None
        or external_id != old_external
        or (external_id is None and group.idp_identifier == group.name)
    ):
        identifier = external_id or name
        taken = session.scalar(
            select(Group.id).where(
                Group.account_id == caller.account_id, Group.idp_identifier == identifier
            )
        )
        if taken is not None and taken != group.id:
            raise ScimError(409, f"Another group already stands for '{identifier}'.", "uniqueness")
        group.idp_identifier = identifier
    group.name, group.name_key = name, name.lower()
    session.flush()
    if extra is None:
        extra = ScimGroup(group_id=group.id, account_id=caller.account_id)
        session.add(extra)
    extra.external_id = external_id
    wanted = _member_ids(session, caller, resource)
    before = set(
        session.scalars(select(GroupMember.user_id).where(GroupMember.group_id == group.id))
    )
    try:
        with session.begin_nested():
            removed = replace_members(session, group, wanted)
            if removed:
                ensure_an_admin_remains(
                    session,
                    caller.account_id,
                    f"A user taken out of the group '{group.name}' is the last active "
                    "Account Admin.",
                )
    except LastAdmin as error:
        raise ScimError(409, error.message) from None
    _audit_members(session, caller, group, before, wanted)


def _audit_members(
    session: Session, caller: ScimCaller, group: Group, before: set[int], after: set[int]
) -> None:
    changed = (before - after) | (after - before)
    if not changed:
        return
    emails = dict(session.execute(select(User.id, User.email).where(User.id.in_(changed))).all())
    for user_id in sorted(after - before):
        audit.record(
            session,
            caller.actor,
            "group.member_add",
            target_type="user",
            target=emails.get(user_id, str(user_id)),
            after={"group": group.name},
        )
    for user_id in sorted(before - after):
        audit.record(
            session,
            caller.actor,
            "group.member_remove",
            target_type="user",
            target=emails.get(user_id, str(user_id)),
            before={"group": group.name},
        )


def create(session: Session, caller: ScimCaller, payload: dict[str, Any]) -> Group:
    resource = parse(payload, Context.RESOURCE_CREATION_REQUEST)
    lock_account(session, caller.account_id)
    group = Group(account_id=caller.account_id, name="", name_key="", description="")
    session.add(group)
    _write(session, caller, group, resource)
    mark_changed(session, caller.account_id, "group", group.id)
    audit.record(
        session,
        caller.actor,
        "group.create",
        target_type="group",
        target=group.name,
        after={"idp_identifier": group.idp_identifier},
    )
    return group


def replace(session: Session, caller: ScimCaller, group_id: str, payload: dict[str, Any]) -> Group:
    lock_account(session, caller.account_id)
    group = find(session, caller, group_id)
    mark_changed(session, caller.account_id, "group", group.id)
    resource = parse(payload, Context.RESOURCE_REPLACEMENT_REQUEST)
    _rename_audited(session, caller, group, resource)
    return group


def patch(
    session: Session, caller: ScimCaller, group_id: str, payload: dict[str, Any], base: str
) -> Group:
    lock_account(session, caller.account_id)
    group = find(session, caller, group_id)
    mark_changed(session, caller.account_id, "group", group.id)
    try:
        operations = PatchOp[group_model()].model_validate(  # type: ignore[misc]
            _without_null_members(payload),
            scim_ctx=Context.RESOURCE_PATCH_REQUEST,
            scim_policy=POLICY,
        )
        resource = to_resource(session, group, base)
        operations.patch(resource, scim_policy=POLICY)
    except ValueError as error:
        raise ScimError.from_validation(error) from None
    _rename_audited(session, caller, group, resource)
    return group


def _without_null_members(payload: dict[str, Any]) -> dict[str, Any]:
    """Entra ID names members as `{"$ref": null, "value": id}`: a null is no value, and
    a member to remove is then matched on its id alone."""
    operations = payload.get("Operations")
    if not isinstance(operations, list):
        return payload
    cleaned = []
    for operation in operations:
        if isinstance(operation, dict) and isinstance(operation.get("value"), list):
            operation = {
                **operation,
                "value": [
                    {k: v for k, v in item.items() if v is not None}
                    if isinstance(item, dict)
                    else item
                    for item in operation["value"]
                ],
            }
        cleaned.append(operation)
    return {**payload, "Operations": cleaned}


def _rename_audited(
    session: Session, caller: ScimCaller, group: Group, resource: Resource[Any]
) -> None:
    before = {"name": group.name, "idp_identifier": group.idp_identifier}
    _write(session, caller, group, resource)
    after = {"name": group.name, "idp_identifier": group.idp_identifier}
    if after != before:
        audit.record(
            session,
            caller.actor,
            "group.update",
            target_type="group",
            target=group.name,
            before=before,
            after=after,
        )


def delete(session: Session, caller: ScimCaller, group_id: str) -> None:
    lock_account(session, caller.account_id)
    group = find(session, caller, group_id)
    mark_changed(session, caller.account_id, "group", group.id)
    try:
        delete_without_checks(session, caller.actor, group)
    except LastAdmin as error:
        raise ScimError(409, error.message) from None


def listing(caller: ScimCaller, field: str | None, value: str | None) -> Any:
    statement = select(Group).where(_visible(caller))
    if field == "displayname":
        statement = statement.where(Group.name_key == (value or "").strip().lower())
    elif field == "externalid":
        statement = statement.join(ScimGroup, ScimGroup.group_id == Group.id).where(
            ScimGroup.external_id == value
        )
    elif field is not None:
        raise ScimError(
            400, "Groups can be filtered by displayName or externalId.", "invalidFilter"
        )
    return statement.order_by(Group.id)


def count(session: Session, statement: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(statement.subquery())) or 0)
