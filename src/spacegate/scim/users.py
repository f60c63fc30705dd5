"""SCIM Users: the users of the token's account, as the identity provider provisions
them. A user created here is an Account Member without a password (they sign in with
single sign-on). `active: false` deactivates the user and ends their sessions and
tokens at once (rule 6); deleting removes them. Neither may take the last active
Account Admin (rule 5). Raises ScimError."""

from __future__ import annotations

import unicodedata
from typing import Any

from scim2_models import Context, Meta, PatchOp, Resource
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from spacegate.audit import service as audit
from spacegate.auth.service import revoke_all_for_user
from spacegate.authz import BuiltinRole
from spacegate.grants.cache import lock_account, mark_changed
from spacegate.groups.admins import ensure_an_admin_remains
from spacegate.scim.errors import ScimError
from spacegate.scim.models import ScimUser
from spacegate.scim.resources import POLICY, user_model
from spacegate.scim.tokens import ScimCaller
from spacegate.users.models import User, UserStatus

MAX_NAME = 100


def to_resource(user: User, extra: ScimUser | None, base: str) -> Resource[Any]:
    model = user_model()
    data: dict[str, Any] = {
        "id": str(user.id),
        "userName": user.email,
        "meta": Meta(
            resource_type="User",
            created=user.created_at,
            last_modified=extra.updated_at if extra else user.created_at,
            location=f"{base}/Users/{user.id}",
        ),
    }
    if extra is None or extra.active_given:
        data["active"] = user.is_active
    name = {
        key: value
        for key, value in (("givenName", user.first_name), ("familyName", user.last_name))
        if value
    }
    if name:
        data["name"] = name
    if extra is not None:
        if extra.external_id is not None:
            data["externalId"] = extra.external_id
        if extra.display_name is not None:
            data["displayName"] = extra.display_name
        if extra.emails:
            data["emails"] = extra.emails
    return model.model_validate(data)


def parse(payload: dict[str, Any], context: Context) -> Resource[Any]:
    try:
        return user_model().model_validate(payload, scim_ctx=context, scim_policy=POLICY)
    except ValueError as error:
        raise ScimError.from_validation(error) from None


def find(session: Session, caller: ScimCaller, user_id: str) -> tuple[User, ScimUser | None]:
    """The user of the caller's account with this SCIM id, or 404 (another account's
    user is not found either)."""
    user = (
        session.scalar(
            select(User).where(User.id == int(user_id), User.account_id == caller.account_id)
        )
        if user_id.isdigit() and len(user_id) < 19
        else None
    )
    if user is None:
        raise ScimError(404, f"There is no user with id {user_id}.")
    return user, session.get(ScimUser, user.id)


def _user_name(value: Any) -> str:
    """The userName is the user's email (the sign-in identifier): 1 to 254 printable
    characters without '/'."""
    text = str(value or "").strip()
    if (
        not text
        or len(text) > 254
        or "/" in text
        or any(unicodedata.category(ch).startswith("C") for ch in text)
    ):
        raise ScimError(
            400,
            "userName must be 1 to 254 printable characters without '/'.",
            "invalidValue",
        )
    return text


def _ensure_free(session: Session, account_id: int, email: str, except_id: int | None) -> None:
    taken = session.scalar(
        select(User.id).where(User.account_id == account_id, User.email_key == email.lower())
    )
    if taken is not None and taken != except_id:
        raise ScimError(409, f"A user with userName '{email}' already exists.", "uniqueness")


def _text(value: Any, what: str, limit: int) -> str:
    text = str(value or "").strip()
    if len(text) > limit:
        raise ScimError(400, f"{what} must be at most {limit} characters long.", "invalidValue")
    return text


def _apply(session: Session, caller: ScimCaller, user: User, resource: Resource[Any]) -> None:
    """Write a validated resource onto the user and its SCIM record (not `active`)."""
    email = _user_name(getattr(resource, "user_name", None))
    _ensure_free(session, caller.account_id, email, user.id)
    user.email, user.email_key = email, email.lower()
    name = getattr(resource, "name", None)
    user.first_name = _text(getattr(name, "given_name", None), "name.givenName", MAX_NAME)
    user.last_name = _text(getattr(name, "family_name", None), "name.familyName", MAX_NAME)
    extra = session.get(ScimUser, user.id)
    if extra is None:
        extra = ScimUser(user_id=user.id, account_id=caller.account_id)
        session.add(extra)
    extra.external_id = _text(resource.external_id, "externalId", 256) or None
    display = getattr(resource, "display_name", None)
    extra.display_name = _text(display, "displayName", 256) or None
    extra.active_given = getattr(resource, "active", None) is not None
    emails = getattr(resource, "emails", None) or []
    extra.emails = [
        email_value.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE) for email_value in emails
    ]


def _set_active(session: Session, caller: ScimCaller, user: User, active: bool | None) -> None:
    if active is None or active == user.is_active:
        return
    mark_changed(session, caller.account_id, "user", user.id)
    if active:
        user.status = UserStatus.ACTIVE.value
    else:
        with session.begin_nested():
            user.status = UserStatus.INACTIVE.value
            ensure_an_admin_remains(
                session,
                caller.account_id,
                f"{user.email} is the last active Account Admin and cannot be deactivated.",
            )
        revoke_all_for_user(session, user.id)
    audit.record(
        session,
        caller.actor,
        "user.reactivate" if active else "user.deactivate",
        target_type="user",
        target=user.email,
        after={"status": user.status},
    )


def create(session: Session, caller: ScimCaller, payload: dict[str, Any]) -> User:
    resource = parse(payload, Context.RESOURCE_CREATION_REQUEST)
    email = _user_name(getattr(resource, "user_name", None))
    _ensure_free(session, caller.account_id, email, None)
    lock_account(session, caller.account_id)
    # Not `users.create_user`: SCIM's userName need not be an email address (identity
    # providers and scim2-tester send ids), and these users sign in through SSO only.
    user = User(
        account_id=caller.account_id,
        email=email,
        email_key=email.lower(),
        password_hash=None,
        account_role=BuiltinRole.MEMBER.value,
        status=UserStatus.ACTIVE.value,
    )
    session.add(user)
    session.flush()
    mark_changed(session, caller.account_id, "user", user.id)
    _apply(session, caller, user, resource)
    if getattr(resource, "active", None) is False:
        user.status = UserStatus.INACTIVE.value
    session.flush()
    audit.record(
        session,
        caller.actor,
        "user.add",
        target_type="user",
        target=user.email,
        after={"account_role": BuiltinRole.MEMBER.value, "via": "SCIM"},
    )
    return user


def replace(session: Session, caller: ScimCaller, user_id: str, payload: dict[str, Any]) -> User:
    user, _extra = find(session, caller, user_id)
    resource = parse(payload, Context.RESOURCE_REPLACEMENT_REQUEST)
    return _write(session, caller, user, resource, getattr(resource, "active", None))


def patch(
    session: Session, caller: ScimCaller, user_id: str, payload: dict[str, Any], base: str
) -> User:
    user, extra = find(session, caller, user_id)
    try:
        operations = PatchOp[user_model()].model_validate(  # type: ignore[misc]
            payload, scim_ctx=Context.RESOURCE_PATCH_REQUEST, scim_policy=POLICY
        )
        resource = to_resource(user, extra, base)
        operations.patch(resource, scim_policy=POLICY)
    except ValueError as error:
        raise ScimError.from_validation(error) from None
    return _write(session, caller, user, resource, getattr(resource, "active", None))


def _write(
    session: Session,
    caller: ScimCaller,
    user: User,
    resource: Resource[Any],
    active: bool | None,
) -> User:
    before = {"email": user.email, "status": user.status}
    _apply(session, caller, user, resource)
    _set_active(session, caller, user, active)
    session.flush()
    if before["email"] != user.email:
        mark_changed(session, caller.account_id, "user", user.id)  # it maps emails to users
        audit.record(
            session,
            caller.actor,
            "user.rename",
            target_type="user",
            target=user.email,
            before={"email": before["email"]},
        )
    return user


def delete(session: Session, caller: ScimCaller, user_id: str) -> None:
    lock_account(session, caller.account_id)
    user, _extra = find(session, caller, user_id)
    mark_changed(session, caller.account_id, "user", user.id)
    email = user.email
    with session.begin_nested():
        revoke_all_for_user(session, user.id)
        session.delete(user)
        ensure_an_admin_remains(
            session, caller.account_id, f"{email} is the last active Account Admin."
        )
    audit.record(session, caller.actor, "user.remove", target_type="user", target=email)


def listing(session: Session, caller: ScimCaller, field: str | None, value: str | None) -> Any:
    """The statement for `GET /Users` with an optional `field eq value` filter."""
    statement = select(User).where(User.account_id == caller.account_id)
    if field == "username":
        statement = statement.where(User.email_key == (value or "").lower())
    elif field == "externalid":
        statement = statement.join(ScimUser, ScimUser.user_id == User.id).where(
            ScimUser.external_id == value
        )
    elif field == "displayname":
        statement = statement.join(ScimUser, ScimUser.user_id == User.id).where(
            func.lower(ScimUser.display_name) == (value or "").lower()
        )
    elif field is not None:
        raise ScimError(
            400, "Users can be filtered by userName, externalId or displayName.", "invalidFilter"
        )
    return statement.order_by(User.id)
