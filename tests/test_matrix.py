"""The permission matrix, generated from the catalog: every route x every principal.

Nothing here says which role holds which permission. A route's expected outcome is
computed from the guard it declares (`spacegate.access.guard`) and the principal's
permissions, read off `spacegate.authz.catalog` (built-in roles) or the custom role's
own list, with the rules of PERMISSIONS.md:

- rule 1: an account role's space-level permissions apply in every space, and
  FULL_ACCESS_ALL_SPACES grants every space permission;
- rule 3: a space the caller holds no permission in answers 404; a visible one they may
  not act in answers 403; no credentials answer 401.

Each route needs one valid example request (`EXAMPLES`, keyed by `(method, route.path)`);
a route without one fails `test_every_route_has_an_example` and its own cases, so a new
route cannot slip past the matrix. "Allowed" is checked strictly (a success answer),
which proves the example really went through the endpoint.

Console pages (every path outside `/api/`) take the session cookie and a CSRF token
instead of a bearer token, show errors as an HTML page, and send a caller without
credentials to the sign-in page: their form of 401.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any

import fastapi.routing
import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from spacegate.access.guard import (
    SESSION_COOKIE,
    Guard,
    Public,
    RequireAccount,
    RequireSpace,
    SignedIn,
)
from spacegate.access.openapi import guards_of
from spacegate.accounts.service import create_account
from spacegate.app import api_routes, create_app
from spacegate.auth.models import PasswordReset, TokenKind
from spacegate.auth.service import issue_session_tokens, issue_token
from spacegate.authz import SPEC_BY_ID, BuiltinRole, Level, Permission
from spacegate.authz.catalog import builtin_role, builtin_role_permissions, permissions_of_level
from spacegate.crypto import hash_secret, new_secret
from spacegate.db import transaction, utcnow
from spacegate.grants.cache import mark_changed
from spacegate.invitations.models import Invitation
from spacegate.roles.models import CustomRole
from spacegate.runtime import Runtime
from spacegate.scim.models import ScimToken
from spacegate.scim.routing import ScimGuard
from spacegate.settings import Settings
from spacegate.spaces.models import Space, SpaceMembership
from spacegate.users.models import User
from spacegate.web.csrf import CSRF_COOKIE, CSRF_FIELD, signed_token
from tests.api_helpers import error_of
from tests.blueprints.factories import new_blueprint, new_repository
from tests.blueprints.gitrepo import example_origin
from tests.cloudaccounts.factories import (
    AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY,
    K8S_TOKEN,
    aws_body,
    compute_body,
    new_cloud_account,
    new_compute_service,
)
from tests.environments.factories import launch_body, new_environment, new_launchable
from tests.factories import PASSWORD, Person, new_account
from tests.groups.factories import new_group
from tests.matrix_identity import (
    SCIM_EXAMPLES,
    connect_oidc,
    connect_saml,
    identity_peers,
    new_scim_token,
    oidc_callback,
    peers,
    saml_response,
)
from tests.policies.factories import new_policy
from tests.tags.factories import blueprint_id, new_tag, set_blueprint_value, set_space_value

SPACE_PERMISSIONS = frozenset(permissions_of_level(Level.SPACE))
NAME_PARAMS = ("{space}", "{email}", "{name}")

# -- the routes and their guards ------------------------------------------------------------


def guard_problem(route: APIRoute) -> str | None:
    """Why the route's guard declaration is wrong, or None when it has exactly one."""
    guards = guards_of(route.dependant)
    if len(guards) == 1:
        return None
    kinds = ", ".join(type(guard).__name__ for guard in guards) or "none"
    return f"{sorted(route.methods or ())} {route.path}: {len(guards)} guards ({kinds})"


def _app() -> FastAPI:
    # Building the app touches no database: a runtime only starts with the lifespan.
    return create_app(Settings(secret_key="matrix", database_url="sqlite://"))


@cache
def _routes() -> tuple[APIRoute, ...]:
    return tuple(api_routes(_app()))


def is_console(path: str) -> bool:
    return not path.startswith(("/api/", "/scim/"))


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    route: APIRoute = field(compare=False, repr=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)

    @property
    def guard(self) -> Guard:
        problem = guard_problem(self.route)
        assert problem is None, problem
        return guards_of(self.route.dependant)[0]

    @property
    def console(self) -> bool:
        return is_console(self.path)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def endpoints() -> list[Endpoint]:
    return [
        Endpoint(method, route.path, route)
        for route in _routes()
        for method in sorted(route.methods or ())
    ]


def _is_public(endpoint: Endpoint) -> bool:
    guards = guards_of(endpoint.route.dependant)
    return len(guards) == 1 and isinstance(guards[0], Public)


def public_endpoints() -> list[Endpoint]:
    return [endpoint for endpoint in endpoints() if _is_public(endpoint)]


def _is_scim(endpoint: Endpoint) -> bool:
    guards = guards_of(endpoint.route.dependant)
    return len(guards) == 1 and isinstance(guards[0], ScimGuard)


def scim_endpoints() -> list[Endpoint]:
    """SCIM routes: a SCIM token (of an account, not of a user) is their credential."""
    return [endpoint for endpoint in endpoints() if _is_scim(endpoint)]


def guarded_endpoints() -> list[Endpoint]:
    """Every route but the Public and SCIM ones (one with a wrong guard count included:
    its cases then fail, naming it)."""
    return [
        endpoint for endpoint in endpoints() if not _is_public(endpoint) and not _is_scim(endpoint)
    ]


# -- principals, built from role definitions only -------------------------------------------


@dataclass(frozen=True)
class CustomRoleSpec:
    name: str
    level: Level
    permissions: frozenset[Permission]


CUSTOM_SPACE_ROLE = CustomRoleSpec(
    "Publisher",
    Level.SPACE,
    frozenset({Permission.BROWSE_CATALOG, Permission.VIEW_SPACE, Permission.PUBLISH_BLUEPRINTS}),
)
CUSTOM_ACCOUNT_ROLE = CustomRoleSpec(
    "Operator",
    Level.ACCOUNT,
    frozenset(
        {Permission.CREATE_SPACES, Permission.ACCESS_ADMINISTRATION, Permission.VIEW_COST_DATA}
    ),
)
# Unassigned, so that editing and deleting a custom role can succeed.
SPARE_ROLE = CustomRoleSpec("Spare", Level.SPACE, frozenset({Permission.VIEW_SPACE}))
CUSTOM_ROLES = {role.name: role for role in (CUSTOM_SPACE_ROLE, CUSTOM_ACCOUNT_ROLE, SPARE_ROLE)}


def role_permissions(name: str) -> frozenset[Permission]:
    """A role's permissions: the catalog's column for a built-in role, else the custom
    role's own list."""
    builtin = builtin_role(name)
    if builtin is not None:
        return builtin_role_permissions(builtin)
    return CUSTOM_ROLES[name].permissions


@dataclass(frozen=True)
class Principal:
    """A user of the account holding `account_role`, and `space_role` in the target space."""

    key: str
    account_role: str
    space_role: str | None = None

    @property
    def email(self) -> str:
        return f"{self.key}@acme.example"

    def account_permissions(self) -> frozenset[Permission]:
        """Rule 1: FULL_ACCESS_ALL_SPACES grants every space permission."""
        held = role_permissions(self.account_role)
        if Permission.FULL_ACCESS_ALL_SPACES in held:
            held |= SPACE_PERMISSIONS
        return held

    def space_permissions(self) -> frozenset[Permission]:
        """In the target space: the account role's space-level permissions (rule 1) and
        the space role's (rule 2)."""
        held = self.account_permissions() & SPACE_PERMISSIONS
        if self.space_role is not None:
            held |= role_permissions(self.space_role)
        return held


PRINCIPALS = (
    Principal("account-admin", BuiltinRole.ADMIN),
    Principal("account-member", BuiltinRole.MEMBER),
    Principal("space-admin", BuiltinRole.MEMBER, BuiltinRole.SPACE_ADMIN),
    Principal("space-developer", BuiltinRole.MEMBER, BuiltinRole.SPACE_DEVELOPER),
    Principal("space-member", BuiltinRole.MEMBER, BuiltinRole.SPACE_MEMBER),
    Principal("custom-space-role", BuiltinRole.MEMBER, CUSTOM_SPACE_ROLE.name),
    Principal("custom-account-role", CUSTOM_ACCOUNT_ROLE.name),
)
ACCOUNT_ADMIN = PRINCIPALS[0]


class Outcome(Enum):
    ALLOWED = "allowed"
    FORBIDDEN = 403
    HIDDEN = 404


def expected_outcome(guard: Guard, principal: Principal) -> Outcome:
    """What the route's declared guard means for this principal (PERMISSIONS.md)."""
    if isinstance(guard, SignedIn):
        return Outcome.ALLOWED
    if isinstance(guard, RequireAccount):
        assert guard.permission is not None
        allowed = guard.permission in principal.account_permissions()
        return Outcome.ALLOWED if allowed else Outcome.FORBIDDEN
    if isinstance(guard, RequireSpace):  # RequireAnySpace too: any one of `permissions`
        in_space = principal.space_permissions()
        if not in_space:
            return Outcome.HIDDEN  # rule 3: no permission at all in the space
        allowed = any(
            permission
            in (
                in_space
                if SPEC_BY_ID[permission].level is Level.SPACE
                # e.g. CREATE_SPACES to rename: an account permission, on a visible space
                else principal.account_permissions()
            )
            for permission in guard.permissions
        )
        return Outcome.ALLOWED if allowed else Outcome.FORBIDDEN
    raise AssertionError(f"no expectation for guard {guard!r}: teach expected_outcome")


# -- the world each case runs in ------------------------------------------------------------

SPACE = "target"
OWNER = "owner@acme.example"
VICTIM = "victim@acme.example"  # a Space Member of the target space, acted upon
CANDIDATE = "candidate@acme.example"  # an account user outside the target space
INVITEE = "invitee@acme.example"


@dataclass(frozen=True)
class Signed:
    """A signed-in user: an API token for `/api/...`, a console session for the pages."""

    email: str
    user_id: int
    api_token: str
    console_session: str

    def credentials(self, path: str) -> Credentials:
        if is_console(path):
            return Credentials(cookie=self.console_session)
        return Credentials(bearer=self.api_token)


@dataclass(frozen=True)
class World:
    """Account `acme`: the target space, a victim, a candidate, the custom roles, and the
    principal under test (`me`); account `globex` with its admin (`stranger`) and space."""

    runtime: Runtime
    account_id: int
    space_id: int
    me: Signed
    stranger: Signed
    origin_url: str


def _sign_in(session: Session, user: User) -> Signed:
    day = timedelta(days=1)
    api = issue_token(session, user, TokenKind.API, lifetime=day)
    console = issue_token(session, user, TokenKind.SESSION, lifetime=day)
    return Signed(user.email, user.id, api.secret, console.secret)


def _user(
    session: Session, account_id: int, email: str, role: str, custom_ids: dict[str, int]
) -> User:
    user = User(
        account_id=account_id,
        email=email,
        email_key=email.lower(),
        first_name=email.split("@")[0].title(),
        last_name="Tester",
        account_role=None if role in custom_ids else role,
        account_custom_role_id=custom_ids.get(role),
        status="active",
    )
    session.add(user)
    session.flush()
    return user


def _member(
    session: Session, space: Space, user: User, role: str, custom_ids: dict[str, int]
) -> None:
    session.add(
        SpaceMembership(
            space_id=space.id,
            user_id=user.id,
            role=None if role in custom_ids else role,
            custom_role_id=custom_ids.get(role),
        )
    )


def build_world(runtime: Runtime, principal: Principal, origin_url: str) -> World:
    """Everything in one transaction (one commit per case keeps the suite fast)."""
    with transaction(runtime.sessions) as session:
        account, _owner = create_account(
            session,
            runtime.passwords,
            name="acme",
            admin_email=OWNER,
            admin_password=PASSWORD,
            refused_domains=(),
        )
        roles = [
            CustomRole(
                account_id=account.id,
                name=spec.name,
                name_key=spec.name.lower(),
                level=spec.level.value,
                permissions=sorted(spec.permissions),
            )
            for spec in CUSTOM_ROLES.values()
        ]
        session.add_all(roles)
        space = Space(account_id=account.id, name=SPACE, name_key=SPACE)
        session.add(space)
        session.flush()
        custom_ids = {role.name: role.id for role in roles}
        victim = _user(session, account.id, VICTIM, BuiltinRole.MEMBER, custom_ids)
        _member(session, space, victim, BuiltinRole.SPACE_MEMBER, custom_ids)
        _user(session, account.id, CANDIDATE, BuiltinRole.MEMBER, custom_ids)
        me = _user(session, account.id, principal.email, principal.account_role, custom_ids)
        if principal.space_role is not None:
            _member(session, space, me, principal.space_role, custom_ids)

        other, boss = create_account(
            session,
            runtime.passwords,
            name="globex",
            admin_email="boss@globex.example",
            admin_password=PASSWORD,
            refused_domains=(),
        )
        session.add(Space(account_id=other.id, name="elsewhere", name_key="elsewhere"))
        mark_changed(session, account.id)
        mark_changed(session, other.id)
        return World(
            runtime,
            account.id,
            space.id,
            _sign_in(session, me),
            _sign_in(session, boss),
            origin_url,
        )


def new_invitation(runtime: Runtime, account_id: int, email: str) -> str:
    """A pending invitation, as `POST /api/accounts/invitations` leaves it; returns the
    secret of its signup link."""
    secret = new_secret()
    with transaction(runtime.sessions) as session:
        session.add(
            Invitation(
                account_id=account_id,
                email=email,
                email_key=email.lower(),
                account_role=BuiltinRole.MEMBER.value,
                invited_by=OWNER,
                secret_hash=hash_secret(secret),
                expires_at=utcnow() + timedelta(days=7),
            )
        )
    return secret


def new_api_token(runtime: Runtime, user_id: int) -> int:
    with transaction(runtime.sessions) as session:
        user = session.get(User, user_id)
        assert user is not None
        return issue_token(session, user, TokenKind.API, lifetime=timedelta(days=1)).token.id


# -- sending a request ----------------------------------------------------------------------

CSRF = "matrix-csrf-token"


@dataclass(frozen=True)
class Credentials:
    bearer: str | None = None
    cookie: str | None = None


@dataclass(frozen=True)
class Call:
    path: str
    json: Any = None
    params: dict[str, str] | None = None
    form: dict[str, str | list[str]] | None = None
    cookies: dict[str, str] | None = None

    def send(
        self, client: TestClient, method: str, credentials: Credentials | None = None
    ) -> Response:
        """Send as an API client or a browser would; a console form carries its CSRF
        token, so that a refusal is the guard's, not the CSRF check's."""
        credentials = credentials or Credentials()
        headers: dict[str, str] = {}
        cookies: dict[str, str] = dict(self.cookies or {})
        form = self.form
        if credentials.bearer:
            headers["Authorization"] = f"Bearer {credentials.bearer}"
        if credentials.cookie:
            cookies[SESSION_COOKIE] = credentials.cookie
        if is_console(self.path):
            cookies[CSRF_COOKIE] = CSRF
            if method == "POST":
                secret = client.app.state.runtime.settings.resolved_secret_key()  # type: ignore[attr-defined]
                session = cookies.get(SESSION_COOKIE, "")
                form = {**(form or {}), CSRF_FIELD: signed_token(secret, CSRF, session)}
        if cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
        client.cookies.clear()  # only what this call says, nothing kept from an earlier one
        return client.request(
            method,
            self.path,
            json=self.json,
            params=self.params,
            data=form,
            headers=headers,
            follow_redirects=False,
        )


# -- one valid example request per route ---------------------------------------------------

Example = Callable[[World, Signed], Call]


def _arranged(arrange: Callable[[World], object], call: Call) -> Example:
    """An example whose call needs something to exist first."""

    def example(world: World, me: Signed) -> Call:
        arrange(world)
        return call

    return example


def _decision(path: str) -> Example:
    def example(world: World, me: Signed) -> Call:
        # An account permission: every signed-in principal may ask about themselves,
        # whether or not they see the space (an unseen space answers as unknown).
        body = {"email": me.email, "permission": "CREATE_SPACES"}
        return Call(path, json=body)

    return example


def _invitation(world: World) -> None:
    new_invitation(world.runtime, world.account_id, INVITEE)


def _cloud_account(world: World) -> None:
    new_cloud_account(world.runtime, world.account_id, "aws-prod", (world.space_id,))


def _compute_service(world: World) -> None:
    new_compute_service(world.runtime, world.account_id, "eks-dev", (world.space_id,))


def _repository(world: World) -> int:
    return new_repository(world.runtime, world.space_id, "platform", url=world.origin_url)


def _blueprint(*, published: bool) -> Callable[[World], None]:
    def arrange(world: World) -> None:
        new_blueprint(world.runtime, _repository(world), "web-app", published=published)

    return arrange


def _launchable(world: World) -> None:
    new_launchable(world.runtime, world.space_id)


def _own_environment(world: World, me: Signed) -> str:
    """A running sandbox of `me` in the target space."""
    owner = Person(me.email, me.api_token, me.user_id, world.account_id)
    return new_environment(world.runtime, world.space_id, owner)


def _environment_call(suffix: str = "", **params: str) -> Example:
    def example(world: World, me: Signed) -> Call:
        path = f"/api/spaces/{SPACE}/environments/{_own_environment(world, me)}{suffix}"
        return Call(path, params=dict(params) or None)

    return example


def _extend_own(world: World, me: Signed) -> Call:
    later = (utcnow() + timedelta(hours=4)).isoformat()
    return _environment_call("/scheduled_end_time", value=later)(world, me)


def _cost_records(world: World, me: Signed) -> Call:
    record = {"environment_id": _own_environment(world, me), "date": "2025-01-31", "amount": 1.5}
    return Call("/api/cost/records", json={"records": [record]})


def _delete_own_token(path: str, field: str | None = None) -> Example:
    def example(world: World, me: Signed) -> Call:
        token_id = str(new_api_token(world.runtime, me.user_id))
        if field is None:
            return Call(f"{path}/{token_id}")
        return Call(path, form={field: token_id})

    return example


NEW_PASSWORD = "a fresh and unusual passphrase"


def _with_password(call: Call) -> Example:
    """`me` gets the factories' password first (the world's users have none)."""

    def example(world: World, me: Signed) -> Call:
        with transaction(world.runtime.sessions) as session:
            user = session.get(User, me.user_id)
            assert user is not None
            user.password_hash = world.runtime.passwords.hash(PASSWORD)
        return call

    return example


BLUEPRINT_YAML = base64.b64encode(
    b"spec_version: 2\ndescription: A shell grain.\ngrains:\n  hello:\n    kind: shell\n"
    b"    spec:\n      activities:\n        deploy:\n          commands:\n"
    b"            - echo hello\n"
).decode()


def _tag(world: World) -> int:
    return new_tag(world.runtime, world.account_id, "team", possible_values=("red", "blue"))


def _space_tag_value(world: World) -> None:
    set_space_value(world.runtime, world.space_id, _tag(world), "red")


def _tagged_blueprint(world: World) -> int:
    _blueprint(published=True)(world)
    return _tag(world)


def _blueprint_tag_value(world: World) -> None:
    tag_id = _tagged_blueprint(world)
    bp = blueprint_id(world.runtime, world.space_id, "platform", "web-app")
    set_blueprint_value(world.runtime, bp, tag_id, "red")


def _policy(world: World) -> None:
    new_policy(world.runtime, world.space_id, "max-duration")


def _saml(world: World) -> None:
    connect_saml(world.runtime, world.account_id)


def _scim_token_id(world: World, me: Signed) -> Call:
    new_scim_token(world.runtime, world.account_id)
    with transaction(world.runtime.sessions) as session:
        token_id = session.scalar(
            select(ScimToken.id).where(ScimToken.account_id == world.account_id)
        )
    return Call(f"/api/settings/scim/tokens/{token_id}")


def _scim_token_form(world: World, me: Signed) -> Call:
    token_call = _scim_token_id(world, me)
    return Call(
        "/admin/idp/scim-tokens/revoke", form={"token_id": token_call.path.rsplit("/", 1)[1]}
    )


def _group(world: World) -> None:
    new_group(
        world.runtime,
        world.account_id,
        "team",
        members=(VICTIM,),
        space_roles=((world.space_id, BuiltinRole.SPACE_MEMBER),),
    )


SPACE_TAGS = f"/api/spaces/{SPACE}/settings/tags"
BLUEPRINT_TAGS = f"/api/spaces/{SPACE}/repositories/platform/blueprints/web-app/settings/tags"
POLICY_REGO = 'package spacegate.quota\n\ndeny contains "no" if input.production\n'

EXAMPLES: dict[tuple[str, str], Example] = {
    # Identity provider and SCIM tokens
    ("GET", "/api/settings/idp"): _arranged(_saml, Call("/api/settings/idp")),
    ("PUT", "/api/settings/idp"): lambda w, me: Call(
        "/api/settings/idp", json={"protocol": "saml", "idp_metadata_xml": peers().saml_metadata}
    ),
    ("DELETE", "/api/settings/idp"): _arranged(_saml, Call("/api/settings/idp")),
    ("GET", "/api/settings/scim/tokens"): lambda w, me: Call("/api/settings/scim/tokens"),
    ("POST", "/api/settings/scim/tokens"): lambda w, me: Call(
        "/api/settings/scim/tokens", json={"name": "okta"}
    ),
    ("DELETE", "/api/settings/scim/tokens/{token_id}"): _scim_token_id,
    ("GET", "/admin/idp"): _arranged(_saml, Call("/admin/idp")),
    ("POST", "/admin/idp/oidc"): lambda w, me: Call(
        "/admin/idp/oidc",
        form={"issuer": peers().oidc.issuer, "client_id": "c", "client_secret": "s"},
    ),
    ("POST", "/admin/idp/saml"): lambda w, me: Call(
        "/admin/idp/saml", form={"idp_metadata_xml": peers().saml_metadata}
    ),
    ("POST", "/admin/idp/delete"): _arranged(_saml, Call("/admin/idp/delete", form={})),
    ("POST", "/admin/idp/scim-tokens"): lambda w, me: Call(
        "/admin/idp/scim-tokens", form={"name": "okta"}
    ),
    ("POST", "/admin/idp/scim-tokens/revoke"): _scim_token_form,
    # Console: Administration > Groups
    ("GET", "/admin/groups"): _arranged(_group, Call("/admin/groups")),
    ("POST", "/admin/groups/new"): lambda w, me: Call(
        "/admin/groups/new", form={"name": "newcomers"}
    ),
    ("GET", "/admin/groups/{name}"): _arranged(_group, Call("/admin/groups/team")),
    ("POST", "/admin/groups/{name}/edit"): _arranged(
        _group,
        Call(
            "/admin/groups/team/edit",
            form={"name": "team", "space_name": SPACE, "space_role": "Space Member"},
        ),
    ),
    ("POST", "/admin/groups/{name}/members"): _arranged(
        _group, Call("/admin/groups/team/members", form={"email": CANDIDATE})
    ),
    ("POST", "/admin/groups/{name}/members/remove"): _arranged(
        _group, Call("/admin/groups/team/members/remove", form={"email": VICTIM})
    ),
    ("POST", "/admin/groups/{name}/delete"): _arranged(
        _group, Call("/admin/groups/team/delete", form={})
    ),
    # Groups
    ("GET", "/api/groups"): _arranged(_group, Call("/api/groups")),
    ("POST", "/api/groups"): lambda w, me: Call(
        "/api/groups",
        json={
            "name": "newcomers",
            "users": [CANDIDATE],
            "space_roles": [{"space_name": SPACE, "space_role": "Space Member"}],
        },
    ),
    ("GET", "/api/groups/{name}"): _arranged(_group, Call("/api/groups/team")),
    ("PUT", "/api/groups/{name}"): _arranged(
        _group, Call("/api/groups/team", json={"description": "edited"})
    ),
    ("DELETE", "/api/groups/{name}"): _arranged(_group, Call("/api/groups/team")),
    ("PUT", "/api/groups/{name}/users/{email}"): _arranged(
        _group, Call(f"/api/groups/team/users/{CANDIDATE}")
    ),
    ("DELETE", "/api/groups/{name}/users/{email}"): _arranged(
        _group, Call(f"/api/groups/team/users/{VICTIM}")
    ),
    # Tokens
    ("POST", "/api/token/longtoken"): lambda w, me: Call(
        "/api/token/longtoken", json={"name": "ci", "expires_in_days": 30}
    ),
    ("GET", "/api/tokens"): lambda w, me: Call("/api/tokens"),
    ("DELETE", "/api/tokens/{token_id}"): _delete_own_token("/api/tokens"),
    # Account users
    ("GET", "/api/accounts/users"): lambda w, me: Call("/api/accounts/users"),
    ("GET", "/api/accounts/users/{email}"): lambda w, me: Call(f"/api/accounts/users/{VICTIM}"),
    ("POST", "/api/accounts/users"): lambda w, me: Call(
        "/api/accounts/users",
        json={"email": "newcomer@acme.example", "first_name": "New", "last_name": "Comer"},
    ),
    ("DELETE", "/api/accounts/users/{email}"): lambda w, me: Call(f"/api/accounts/users/{VICTIM}"),
    ("PUT", "/api/accounts/users/{email}/account_role"): lambda w, me: Call(
        f"/api/accounts/users/{VICTIM}/account_role", params={"value": CUSTOM_ACCOUNT_ROLE.name}
    ),
    ("DELETE", "/api/accounts/users/{email}/account_role"): lambda w, me: Call(
        f"/api/accounts/users/{VICTIM}/account_role"
    ),
    ("PUT", "/api/accounts/users/{email}/status"): lambda w, me: Call(
        f"/api/accounts/users/{VICTIM}/status", params={"value": "inactive"}
    ),
    ("GET", "/api/me"): lambda w, me: Call("/api/me"),
    ("PUT", "/api/accounts/password"): _with_password(
        Call(
            "/api/accounts/password",
            json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        )
    ),
    ("GET", "/profile/password"): lambda w, me: Call("/profile/password"),
    ("POST", "/profile/password"): _with_password(
        Call(
            "/profile/password",
            form={
                "current_password": PASSWORD,
                "new_password": NEW_PASSWORD,
                "confirm_password": NEW_PASSWORD,
            },
        )
    ),
    # Invitations
    ("POST", "/api/accounts/invitations"): lambda w, me: Call(
        "/api/accounts/invitations",
        json={"emails": [INVITEE], "space_name": SPACE, "space_role": "Space Member"},
    ),
    ("GET", "/api/accounts/invitations"): lambda w, me: Call(
        "/api/accounts/invitations", params={"status": "pending"}
    ),
    ("DELETE", "/api/accounts/invitations"): _arranged(
        _invitation, Call("/api/accounts/invitations", json={"emails": [INVITEE]})
    ),
    ("POST", "/api/accounts/invitations/resend"): _arranged(
        _invitation, Call("/api/accounts/invitations/resend", json={"emails": [INVITEE]})
    ),
    # Spaces and members
    ("GET", "/api/spaces"): lambda w, me: Call("/api/spaces"),
    ("POST", "/api/spaces"): lambda w, me: Call(
        "/api/spaces", json={"name": "fresh", "color": "green"}
    ),
    ("GET", "/api/spaces/{space}"): lambda w, me: Call(f"/api/spaces/{SPACE}"),
    ("PUT", "/api/spaces/{space}"): lambda w, me: Call(
        f"/api/spaces/{SPACE}", json={"name": "renamed", "color": "teal"}
    ),
    ("DELETE", "/api/spaces/{space}"): lambda w, me: Call(f"/api/spaces/{SPACE}"),
    ("GET", "/api/spaces/{space}/users"): lambda w, me: Call(f"/api/spaces/{SPACE}/users"),
    ("GET", "/api/spaces/{space}/users/candidates"): lambda w, me: Call(
        f"/api/spaces/{SPACE}/users/candidates", params={"q": "candidate"}
    ),
    ("POST", "/api/spaces/{space}/users"): lambda w, me: Call(
        f"/api/spaces/{SPACE}/users", json={"email": CANDIDATE}
    ),
    ("PUT", "/api/spaces/{space}/users/{email}/space_role"): lambda w, me: Call(
        f"/api/spaces/{SPACE}/users/{VICTIM}/space_role",
        params={"value": BuiltinRole.SPACE_DEVELOPER.value},
    ),
    ("DELETE", "/api/spaces/{space}/users/{email}"): lambda w, me: Call(
        f"/api/spaces/{SPACE}/users/{VICTIM}"
    ),
    ("GET", "/api/spaces/{space}/user_permissions"): lambda w, me: Call(
        f"/api/spaces/{SPACE}/user_permissions"
    ),
    # Roles and permissions
    ("GET", "/api/settings/permissions"): lambda w, me: Call("/api/settings/permissions"),
    ("GET", "/api/settings/accountroles"): lambda w, me: Call("/api/settings/accountroles"),
    ("GET", "/api/settings/spaceroles"): lambda w, me: Call("/api/settings/spaceroles"),
    ("GET", "/api/settings/roles"): lambda w, me: Call("/api/settings/roles"),
    ("POST", "/api/settings/roles"): lambda w, me: Call(
        "/api/settings/roles",
        json={"name": "Viewer", "level": "space", "permissions": ["VIEW_SPACE"]},
    ),
    ("GET", "/api/settings/roles/{name}"): lambda w, me: Call(
        f"/api/settings/roles/{CUSTOM_SPACE_ROLE.name}"
    ),
    ("PUT", "/api/settings/roles/{name}"): lambda w, me: Call(
        f"/api/settings/roles/{SPARE_ROLE.name}",
        json={"description": "edited", "permissions": ["VIEW_SPACE", "BROWSE_CATALOG"]},
    ),
    ("DELETE", "/api/settings/roles/{name}"): lambda w, me: Call(
        f"/api/settings/roles/{SPARE_ROLE.name}"
    ),
    # Audit and decisions
    ("GET", "/api/audit"): lambda w, me: Call("/api/audit", params={"limit": "10"}),
    ("POST", "/api/authz/check"): _decision("/api/authz/check"),
    ("POST", "/api/authz/explain"): _decision("/api/authz/explain"),
    ("GET", "/api/authz/lookup/spaces"): lambda world, me: Call(
        "/api/authz/lookup/spaces", params={"email": me.email, "permission": "VIEW_SPACE"}
    ),
    ("GET", "/api/authz/lookup/users"): lambda world, me: Call(
        "/api/authz/lookup/users", params={"space_name": SPACE, "permission": "VIEW_SPACE"}
    ),
    # Cloud accounts and compute services
    ("GET", "/api/settings/cloudaccounts"): lambda w, me: Call("/api/settings/cloudaccounts"),
    ("POST", "/api/settings/cloudaccounts"): lambda w, me: Call(
        "/api/settings/cloudaccounts", json=aws_body("aws-new", [SPACE])
    ),
    ("GET", "/api/settings/cloudaccounts/{name}"): _arranged(
        _cloud_account, Call("/api/settings/cloudaccounts/aws-prod")
    ),
    ("PUT", "/api/settings/cloudaccounts/{name}"): _arranged(
        _cloud_account, Call("/api/settings/cloudaccounts/aws-prod", json={"name": "aws-main"})
    ),
    ("PUT", "/api/settings/cloudaccounts/{name}/credentials"): _arranged(
        _cloud_account,
        Call(
            "/api/settings/cloudaccounts/aws-prod/credentials",
            json={
                "credentials": {
                    "access_key_id": AWS_ACCESS_KEY_ID,
                    "secret_access_key": AWS_SECRET_ACCESS_KEY,
                }
            },
        ),
    ),
    ("DELETE", "/api/settings/cloudaccounts/{name}"): _arranged(
        _cloud_account, Call("/api/settings/cloudaccounts/aws-prod")
    ),
    ("GET", "/api/spaces/{space}/cloudaccounts"): _arranged(
        _cloud_account, Call(f"/api/spaces/{SPACE}/cloudaccounts")
    ),
    ("GET", "/api/settings/computeservices"): lambda w, me: Call("/api/settings/computeservices"),
    ("POST", "/api/settings/computeservices"): lambda w, me: Call(
        "/api/settings/computeservices", json=compute_body("eks-new", [SPACE])
    ),
    ("GET", "/api/settings/computeservices/{name}"): _arranged(
        _compute_service, Call("/api/settings/computeservices/eks-dev")
    ),
    ("PUT", "/api/settings/computeservices/{name}"): _arranged(
        _compute_service,
        Call("/api/settings/computeservices/eks-dev", json={"namespace": "torque-prod"}),
    ),
    ("PUT", "/api/settings/computeservices/{name}/credentials"): _arranged(
        _compute_service,
        Call("/api/settings/computeservices/eks-dev/credentials", json={"token": K8S_TOKEN}),
    ),
    ("DELETE", "/api/settings/computeservices/{name}"): _arranged(
        _compute_service, Call("/api/settings/computeservices/eks-dev")
    ),
    ("GET", "/api/spaces/{space}/computeservices"): _arranged(
        _compute_service, Call(f"/api/spaces/{SPACE}/computeservices")
    ),
    # Blueprint repositories, blueprints and the catalog
    ("GET", "/api/spaces/{space}/repositories"): lambda w, me: Call(
        f"/api/spaces/{SPACE}/repositories"
    ),
    ("POST", "/api/spaces/{space}/repositories"): lambda w, me: Call(
        f"/api/spaces/{SPACE}/repositories", json={"name": "platform", "url": w.origin_url}
    ),
    ("GET", "/api/spaces/{space}/repositories/{repo}"): _arranged(
        _repository, Call(f"/api/spaces/{SPACE}/repositories/platform")
    ),
    ("PUT", "/api/spaces/{space}/repositories/{repo}"): _arranged(
        _repository, Call(f"/api/spaces/{SPACE}/repositories/platform", json={"branch": "main"})
    ),
    ("DELETE", "/api/spaces/{space}/repositories/{repo}"): _arranged(
        _repository, Call(f"/api/spaces/{SPACE}/repositories/platform")
    ),
    ("POST", "/api/spaces/{space}/repositories/{repo}/sync"): _arranged(
        _repository, Call(f"/api/spaces/{SPACE}/repositories/platform/sync")
    ),
    ("GET", "/api/spaces/{space}/blueprints"): _arranged(
        _blueprint(published=False), Call(f"/api/spaces/{SPACE}/blueprints")
    ),
    ("GET", "/api/spaces/{space}/catalog"): _arranged(
        _blueprint(published=True), Call(f"/api/spaces/{SPACE}/catalog")
    ),
    ("GET", "/api/spaces/{space}/catalog/{bp}"): _arranged(
        _blueprint(published=True), Call(f"/api/spaces/{SPACE}/catalog/web-app")
    ),
    ("POST", "/api/spaces/{space}/catalog"): _arranged(
        _blueprint(published=False),
        Call(f"/api/spaces/{SPACE}/catalog", json={"blueprint_name": "web-app"}),
    ),
    ("DELETE", "/api/spaces/{space}/catalog/{bp}"): _arranged(
        _blueprint(published=True), Call(f"/api/spaces/{SPACE}/catalog/web-app")
    ),
    ("POST", "/api/spaces/{space}/validations/blueprints"): lambda w, me: Call(
        f"/api/spaces/{SPACE}/validations/blueprints",
        json={"blueprint_name": "hello", "blueprint_raw_64": BLUEPRINT_YAML},
    ),
    # Environments and cost
    ("GET", "/api/spaces/{space}/environments"): lambda w, me: Call(
        f"/api/spaces/{SPACE}/environments", params={"filter": "all"}
    ),
    ("POST", "/api/spaces/{space}/environments"): _arranged(
        _launchable, Call(f"/api/spaces/{SPACE}/environments", json=launch_body())
    ),
    ("GET", "/api/spaces/{space}/environments/{environment_id}"): _environment_call(),
    ("DELETE", "/api/spaces/{space}/environments/{environment_id}"): _environment_call(),
    ("PUT", "/api/spaces/{space}/environments/{environment_id}/scheduled_end_time"): _extend_own,
    ("GET", "/api/spaces/{space}/cost"): lambda w, me: Call(
        f"/api/spaces/{SPACE}/cost", params={"group_by": "tag:team"}
    ),
    ("GET", "/api/cost"): lambda w, me: Call("/api/cost", params={"group_by": "space"}),
    ("POST", "/api/cost/records"): _cost_records,
    # Console: sign-out, home, profile
    ("POST", "/logout"): lambda w, me: Call("/logout", form={}),
    ("GET", "/"): lambda w, me: Call("/"),
    ("GET", "/profile"): lambda w, me: Call("/profile"),
    ("POST", "/profile/tokens"): lambda w, me: Call(
        "/profile/tokens", form={"name": "ci", "expires_in_days": "30"}
    ),
    ("POST", "/profile/tokens/revoke"): _delete_own_token("/profile/tokens/revoke", "token_id"),
    # Console: a space and its users
    ("GET", "/spaces/{space}"): lambda w, me: Call(f"/spaces/{SPACE}"),
    ("GET", "/spaces/{space}/settings/users"): lambda w, me: Call(
        f"/spaces/{SPACE}/settings/users"
    ),
    ("GET", "/spaces/{space}/settings/users/add"): lambda w, me: Call(
        f"/spaces/{SPACE}/settings/users/add", params={"q": "candidate"}
    ),
    ("POST", "/spaces/{space}/settings/users/add"): lambda w, me: Call(
        f"/spaces/{SPACE}/settings/users/add",
        form={"emails": [CANDIDATE], "space_role": "Space Member"},
    ),
    ("POST", "/spaces/{space}/settings/users/role"): lambda w, me: Call(
        f"/spaces/{SPACE}/settings/users/role",
        form={"email": VICTIM, "space_role": BuiltinRole.SPACE_DEVELOPER.value},
    ),
    ("POST", "/spaces/{space}/settings/users/remove"): lambda w, me: Call(
        f"/spaces/{SPACE}/settings/users/remove", form={"email": VICTIM}
    ),
    # Console: Administration
    ("GET", "/admin"): lambda w, me: Call("/admin"),
    ("GET", "/admin/users"): lambda w, me: Call("/admin/users"),
    ("POST", "/admin/users/role"): lambda w, me: Call(
        "/admin/users/role", form={"email": VICTIM, "account_role": CUSTOM_ACCOUNT_ROLE.name}
    ),
    ("POST", "/admin/users/status"): lambda w, me: Call(
        "/admin/users/status", form={"email": VICTIM, "value": "inactive"}
    ),
    ("POST", "/admin/users/remove"): lambda w, me: Call(
        "/admin/users/remove", form={"email": VICTIM}
    ),
    ("GET", "/admin/users/invite"): lambda w, me: Call("/admin/users/invite"),
    ("POST", "/admin/users/invite"): lambda w, me: Call(
        "/admin/users/invite",
        form={"emails": [INVITEE], "space_name": [SPACE], "space_role": ["Space Member"]},
    ),
    ("POST", "/admin/invitations/resend"): _arranged(
        _invitation, Call("/admin/invitations/resend", form={"email": INVITEE})
    ),
    ("POST", "/admin/invitations/revoke"): _arranged(
        _invitation, Call("/admin/invitations/revoke", form={"email": INVITEE})
    ),
    ("GET", "/admin/roles"): lambda w, me: Call("/admin/roles"),
    ("GET", "/admin/roles/new"): lambda w, me: Call(
        "/admin/roles/new", params={"level": "space", "template": "Space Member"}
    ),
    ("POST", "/admin/roles/new"): lambda w, me: Call(
        "/admin/roles/new", form={"name": "Viewer", "level": "space", "permissions": ["VIEW_SPACE"]}
    ),
    ("GET", "/admin/roles/{name}"): lambda w, me: Call(f"/admin/roles/{SPARE_ROLE.name}"),
    ("POST", "/admin/roles/{name}"): lambda w, me: Call(
        f"/admin/roles/{SPARE_ROLE.name}",
        form={"name": SPARE_ROLE.name, "description": "edited", "permissions": ["VIEW_SPACE"]},
    ),
    ("POST", "/admin/roles/{name}/delete"): lambda w, me: Call(
        f"/admin/roles/{SPARE_ROLE.name}/delete", form={}
    ),
    ("GET", "/admin/spaces"): lambda w, me: Call("/admin/spaces"),
    ("POST", "/admin/spaces"): lambda w, me: Call(
        "/admin/spaces", form={"name": "fresh", "color": "green"}
    ),
    ("GET", "/admin/spaces/{space}/rename"): lambda w, me: Call(f"/admin/spaces/{SPACE}/rename"),
    ("POST", "/admin/spaces/{space}/rename"): lambda w, me: Call(
        f"/admin/spaces/{SPACE}/rename", form={"name": "renamed", "color": "teal"}
    ),
    ("GET", "/admin/spaces/{space}/delete"): lambda w, me: Call(f"/admin/spaces/{SPACE}/delete"),
    ("POST", "/admin/spaces/{space}/delete"): lambda w, me: Call(
        f"/admin/spaces/{SPACE}/delete", form={}
    ),
    ("GET", "/admin/audit"): lambda w, me: Call("/admin/audit", params={"action": "space.create"}),
    # Console: Administration > Cloud Accounts (and Kubernetes compute services)
    ("GET", "/admin/cloudaccounts"): lambda w, me: Call("/admin/cloudaccounts"),
    ("GET", "/admin/cloudaccounts/new"): lambda w, me: Call(
        "/admin/cloudaccounts/new", params={"provider": "aws"}
    ),
    ("POST", "/admin/cloudaccounts/new"): lambda w, me: Call(
        "/admin/cloudaccounts/new",
        form={
            "name": "aws-new",
            "provider": "aws",
            "details.account_id": "123456789012",
            "credentials.access_key_id": AWS_ACCESS_KEY_ID,
            "credentials.secret_access_key": AWS_SECRET_ACCESS_KEY,
            "spaces": [SPACE],
        },
    ),
    ("GET", "/admin/cloudaccounts/{name}/edit"): _arranged(
        _cloud_account, Call("/admin/cloudaccounts/aws-prod/edit")
    ),
    ("POST", "/admin/cloudaccounts/{name}/edit"): _arranged(
        _cloud_account,
        Call(
            "/admin/cloudaccounts/aws-prod/edit",
            form={"name": "aws-main", "details.account_id": "123456789012", "spaces": [SPACE]},
        ),
    ),
    ("POST", "/admin/cloudaccounts/{name}/credentials"): _arranged(
        _cloud_account,
        Call(
            "/admin/cloudaccounts/aws-prod/credentials",
            form={
                "credentials.access_key_id": AWS_ACCESS_KEY_ID,
                "credentials.secret_access_key": AWS_SECRET_ACCESS_KEY,
            },
        ),
    ),
    ("GET", "/admin/cloudaccounts/{name}/delete"): _arranged(
        _cloud_account, Call("/admin/cloudaccounts/aws-prod/delete")
    ),
    ("POST", "/admin/cloudaccounts/{name}/delete"): _arranged(
        _cloud_account, Call("/admin/cloudaccounts/aws-prod/delete", form={})
    ),
    ("GET", "/admin/cloudaccounts/kubernetes/new"): lambda w, me: Call(
        "/admin/cloudaccounts/kubernetes/new"
    ),
    ("POST", "/admin/cloudaccounts/kubernetes/new"): lambda w, me: Call(
        "/admin/cloudaccounts/kubernetes/new", form=compute_body("eks-new", [SPACE])
    ),
    ("GET", "/admin/cloudaccounts/kubernetes/{name}/edit"): _arranged(
        _compute_service, Call("/admin/cloudaccounts/kubernetes/eks-dev/edit")
    ),
    ("POST", "/admin/cloudaccounts/kubernetes/{name}/edit"): _arranged(
        _compute_service,
        Call(
            "/admin/cloudaccounts/kubernetes/eks-dev/edit",
            form={
                "name": "eks-dev",
                "api_server": "https://k8s.acme.example:6443",
                "namespace": "torque-prod",
            },
        ),
    ),
    ("POST", "/admin/cloudaccounts/kubernetes/{name}/token"): _arranged(
        _compute_service,
        Call("/admin/cloudaccounts/kubernetes/eks-dev/token", form={"token": K8S_TOKEN}),
    ),
    ("GET", "/admin/cloudaccounts/kubernetes/{name}/delete"): _arranged(
        _compute_service, Call("/admin/cloudaccounts/kubernetes/eks-dev/delete")
    ),
    ("POST", "/admin/cloudaccounts/kubernetes/{name}/delete"): _arranged(
        _compute_service, Call("/admin/cloudaccounts/kubernetes/eks-dev/delete", form={})
    ),
    # Console: a space's Catalog, Blueprints and Repositories
    ("GET", "/spaces/{space}/catalog"): _arranged(
        _blueprint(published=True), Call(f"/spaces/{SPACE}/catalog")
    ),
    ("GET", "/spaces/{space}/blueprints"): _arranged(
        _blueprint(published=False), Call(f"/spaces/{SPACE}/blueprints")
    ),
    ("POST", "/spaces/{space}/blueprints/publish"): _arranged(
        _blueprint(published=False),
        Call(f"/spaces/{SPACE}/blueprints/publish", form={"blueprint_name": "web-app"}),
    ),
    ("POST", "/spaces/{space}/blueprints/unpublish"): _arranged(
        _blueprint(published=True),
        Call(f"/spaces/{SPACE}/blueprints/unpublish", form={"blueprint_name": "web-app"}),
    ),
    ("GET", "/spaces/{space}/repositories"): _arranged(
        _repository, Call(f"/spaces/{SPACE}/repositories")
    ),
    ("POST", "/spaces/{space}/repositories"): lambda w, me: Call(
        f"/spaces/{SPACE}/repositories", form={"name": "platform", "url": w.origin_url}
    ),
    ("POST", "/spaces/{space}/repositories/{repo}/sync"): _arranged(
        _repository, Call(f"/spaces/{SPACE}/repositories/platform/sync", form={})
    ),
    ("GET", "/spaces/{space}/repositories/{repo}/remove"): _arranged(
        _repository, Call(f"/spaces/{SPACE}/repositories/platform/remove")
    ),
    ("POST", "/spaces/{space}/repositories/{repo}/remove"): _arranged(
        _repository, Call(f"/spaces/{SPACE}/repositories/platform/remove", form={})
    ),
    # Tags: account definitions, the limit, space and blueprint values
    ("GET", "/api/settings/tags"): _arranged(_tag, Call("/api/settings/tags")),
    ("POST", "/api/settings/tags"): lambda w, me: Call(
        "/api/settings/tags",
        json={"name": "cost-center", "value": "rnd", "scope": "space", "possible_values": ["rnd"]},
    ),
    ("GET", "/api/settings/tags/{name}"): _arranged(_tag, Call("/api/settings/tags/team")),
    ("PUT", "/api/settings/tags/{name}"): _arranged(
        _tag, Call("/api/settings/tags/team", json={"description": "edited", "value": "blue"})
    ),
    ("DELETE", "/api/settings/tags/{name}"): _arranged(_tag, Call("/api/settings/tags/team")),
    ("GET", "/api/settings/tags_limit"): lambda w, me: Call("/api/settings/tags_limit"),
    ("PUT", "/api/settings/tags_limit"): lambda w, me: Call(
        "/api/settings/tags_limit", params={"value": "60"}
    ),
    ("GET", "/api/spaces/{space}/settings/tags"): _arranged(_tag, Call(SPACE_TAGS)),
    ("POST", "/api/spaces/{space}/settings/tags"): _arranged(
        _tag, Call(SPACE_TAGS, json={"name": "team", "value": "blue"})
    ),
    ("GET", "/api/spaces/{space}/settings/tags/{name}"): _arranged(
        _tag, Call(f"{SPACE_TAGS}/team")
    ),
    ("PUT", "/api/spaces/{space}/settings/tags/{name}"): _arranged(
        _tag, Call(f"{SPACE_TAGS}/team", json={"name": "team", "value": "blue"})
    ),
    ("DELETE", "/api/spaces/{space}/settings/tags/{name}"): _arranged(
        _space_tag_value, Call(f"{SPACE_TAGS}/team")
    ),
    ("GET", "/api/spaces/{space}/repositories/{repo}/blueprints/{bp}/settings/tags"): _arranged(
        _tagged_blueprint, Call(BLUEPRINT_TAGS)
    ),
    ("POST", "/api/spaces/{space}/repositories/{repo}/blueprints/{bp}/settings/tags"): _arranged(
        _tagged_blueprint, Call(BLUEPRINT_TAGS, json={"name": "team", "value": "blue"})
    ),
    (
        "GET",
        "/api/spaces/{space}/repositories/{repo}/blueprints/{bp}/settings/tags/{name}",
    ): _arranged(_tagged_blueprint, Call(f"{BLUEPRINT_TAGS}/team")),
    (
        "PUT",
        "/api/spaces/{space}/repositories/{repo}/blueprints/{bp}/settings/tags/{name}",
    ): _arranged(_tagged_blueprint, Call(f"{BLUEPRINT_TAGS}/team", json={"value": "blue"})),
    (
        "DELETE",
        "/api/spaces/{space}/repositories/{repo}/blueprints/{bp}/settings/tags/{name}",
    ): _arranged(_blueprint_tag_value, Call(f"{BLUEPRINT_TAGS}/team")),
    # Space policies
    ("GET", "/api/spaces/{space}/policies"): _arranged(
        _policy, Call(f"/api/spaces/{SPACE}/policies")
    ),
    ("POST", "/api/spaces/{space}/policies"): lambda w, me: Call(
        f"/api/spaces/{SPACE}/policies",
        json={"name": "no-production", "rego": POLICY_REGO, "data": {}, "enabled": True},
    ),
    ("GET", "/api/spaces/{space}/policies/{name}"): _arranged(
        _policy, Call(f"/api/spaces/{SPACE}/policies/max-duration")
    ),
    ("PUT", "/api/spaces/{space}/policies/{name}"): _arranged(
        _policy, Call(f"/api/spaces/{SPACE}/policies/max-duration", json={"enabled": False})
    ),
    ("DELETE", "/api/spaces/{space}/policies/{name}"): _arranged(
        _policy, Call(f"/api/spaces/{SPACE}/policies/max-duration")
    ),
    # Console: a space's Environments (the Launch form from the Catalog) and Cost
    ("GET", "/spaces/{space}/environments"): lambda w, me: Call(
        f"/spaces/{SPACE}/environments", params={"show": "mine"}
    ),
    ("GET", "/spaces/{space}/environments/new"): _arranged(
        _launchable,
        Call(
            f"/spaces/{SPACE}/environments/new",
            params={"blueprint": "web-app", "repository": "platform"},
        ),
    ),
    ("POST", "/spaces/{space}/environments/new"): _arranged(
        _launchable,
        Call(
            f"/spaces/{SPACE}/environments/new",
            form={
                "blueprint_name": "web-app",
                "repository_name": "platform",
                "environment_name": "my-env",
                "duration_minutes": "30",
                "inputs.hostname": "web.example.com",
            },
        ),
    ),
    ("GET", "/spaces/{space}/environments/{environment_id}"): lambda w, me: Call(
        f"/spaces/{SPACE}/environments/{_own_environment(w, me)}"
    ),
    ("GET", "/spaces/{space}/environments/{environment_id}/live"): lambda w, me: Call(
        f"/spaces/{SPACE}/environments/{_own_environment(w, me)}/live"
    ),
    ("POST", "/spaces/{space}/environments/{environment_id}/end"): lambda w, me: Call(
        f"/spaces/{SPACE}/environments/{_own_environment(w, me)}/end", form={}
    ),
    ("POST", "/spaces/{space}/environments/{environment_id}/extend"): lambda w, me: Call(
        f"/spaces/{SPACE}/environments/{_own_environment(w, me)}/extend",
        form={"end_time": (utcnow() + timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M")},
    ),
    ("GET", "/spaces/{space}/cost"): lambda w, me: Call(
        f"/spaces/{SPACE}/cost", params={"group_by": "tag:team"}
    ),
    # Console: a space's Settings > Tags and > Policies, a blueprint's tags
    ("GET", "/spaces/{space}/settings/tags"): _arranged(
        _tag, Call(f"/spaces/{SPACE}/settings/tags")
    ),
    ("POST", "/spaces/{space}/settings/tags/set"): _arranged(
        _tag, Call(f"/spaces/{SPACE}/settings/tags/set", form={"name": "team", "value": "blue"})
    ),
    ("POST", "/spaces/{space}/settings/tags/clear"): _arranged(
        _space_tag_value, Call(f"/spaces/{SPACE}/settings/tags/clear", form={"name": "team"})
    ),
    ("GET", "/spaces/{space}/blueprints/{repo}/{bp}/tags"): _arranged(
        _tagged_blueprint, Call(f"/spaces/{SPACE}/blueprints/platform/web-app/tags")
    ),
    ("POST", "/spaces/{space}/blueprints/{repo}/{bp}/tags/set"): _arranged(
        _tagged_blueprint,
        Call(
            f"/spaces/{SPACE}/blueprints/platform/web-app/tags/set",
            form={"name": "team", "value": "blue"},
        ),
    ),
    ("POST", "/spaces/{space}/blueprints/{repo}/{bp}/tags/clear"): _arranged(
        _blueprint_tag_value,
        Call(f"/spaces/{SPACE}/blueprints/platform/web-app/tags/clear", form={"name": "team"}),
    ),
    ("GET", "/spaces/{space}/settings/policies"): _arranged(
        _policy, Call(f"/spaces/{SPACE}/settings/policies")
    ),
    ("GET", "/spaces/{space}/settings/policies/new"): lambda w, me: Call(
        f"/spaces/{SPACE}/settings/policies/new"
    ),
    ("POST", "/spaces/{space}/settings/policies/new"): lambda w, me: Call(
        f"/spaces/{SPACE}/settings/policies/new",
        form={"name": "no-production", "rego": POLICY_REGO, "data": "{}", "enabled": "true"},
    ),
    ("GET", "/spaces/{space}/settings/policies/{name}/edit"): _arranged(
        _policy, Call(f"/spaces/{SPACE}/settings/policies/max-duration/edit")
    ),
    ("POST", "/spaces/{space}/settings/policies/{name}/edit"): _arranged(
        _policy,
        Call(
            f"/spaces/{SPACE}/settings/policies/max-duration/edit",
            form={"name": "max-duration", "rego": POLICY_REGO, "data": "{}", "enabled": "true"},
        ),
    ),
    ("POST", "/spaces/{space}/settings/policies/{name}/enabled"): _arranged(
        _policy,
        Call(f"/spaces/{SPACE}/settings/policies/max-duration/enabled", form={"enabled": "false"}),
    ),
    ("POST", "/spaces/{space}/settings/policies/{name}/delete"): _arranged(
        _policy, Call(f"/spaces/{SPACE}/settings/policies/max-duration/delete", form={})
    ),
    # Console: Administration > Tags
    ("GET", "/admin/tags"): _arranged(_tag, Call("/admin/tags")),
    ("POST", "/admin/tags/limit"): lambda w, me: Call("/admin/tags/limit", form={"value": "60"}),
    ("GET", "/admin/tags/new"): lambda w, me: Call("/admin/tags/new"),
    ("POST", "/admin/tags/new"): lambda w, me: Call(
        "/admin/tags/new",
        form={"name": "cost-center", "value": "rnd", "scope": "space", "possible_values": "rnd"},
    ),
    ("GET", "/admin/tags/{name}/edit"): _arranged(_tag, Call("/admin/tags/team/edit")),
    ("POST", "/admin/tags/{name}/edit"): _arranged(
        _tag,
        Call(
            "/admin/tags/team/edit",
            form={
                "name": "team",
                "value": "blue",
                "scope": "environment",
                "description": "edited",
                "possible_values": "red\nblue",
            },
        ),
    ),
    ("POST", "/admin/tags/{name}/delete"): _arranged(
        _tag, Call("/admin/tags/team/delete", form={})
    ),
}


# Public routes arrange their own installation: the setup routes need one without any
# account (their link only works then); the others need an account.
PublicExample = Callable[[Runtime], Call]

_SETUP = {"account_name": "acme", "email": OWNER, "password": PASSWORD}


def _owner(runtime: Runtime) -> Person:
    return new_account(runtime, "acme", OWNER)


def _refresh_token(runtime: Runtime) -> str:
    owner = _owner(runtime)
    with transaction(runtime.sessions) as session:
        user = session.get(User, owner.user_id)
        assert user is not None
        return issue_session_tokens(session, user, runtime.settings).refresh_token


def _invited(runtime: Runtime) -> str:
    return new_invitation(runtime, _owner(runtime).account_id, INVITEE)


def _reset_token(runtime: Runtime) -> str:
    """A password reset link's token of the owner, as `forgotpassword` emails it."""
    owner = _owner(runtime)
    secret = new_secret()
    with transaction(runtime.sessions) as session:
        session.add(
            PasswordReset(
                account_id=owner.account_id,
                user_id=owner.user_id,
                token_hash=hash_secret(secret),
                expires_at=utcnow() + timedelta(minutes=30),
            )
        )
    return secret


def _login_page(runtime: Runtime) -> Call:
    _owner(runtime)
    return Call("/login", params={"account": "acme", "next": "/admin/users"})


def _ready(runtime: Runtime, call: Call) -> Call:
    """The matrix's app runs no lifespan; readiness needs the grant poll running."""
    runtime.authz.start()
    return call


def _saml_connected(runtime: Runtime) -> None:
    connect_saml(runtime, _owner(runtime).account_id)


def _oidc_callback(runtime: Runtime) -> Call:
    connect_oidc(runtime, _owner(runtime).account_id)
    path, cookies = oidc_callback(runtime, "acme", OWNER)
    return Call(path, cookies=cookies)


def _saml_acs(runtime: Runtime) -> Call:
    _saml_connected(runtime)
    return Call(
        "/sso/acme/saml/acs",
        form={"SAMLResponse": saml_response("acme", OWNER), "RelayState": "/"},
    )


PUBLIC_EXAMPLES: dict[tuple[str, str], PublicExample] = {
    ("GET", "/sso"): lambda rt: Call("/sso"),
    ("GET", "/sso/{account}"): lambda rt: (_saml_connected(rt), Call("/sso/acme"))[1],
    ("GET", "/sso/{account}/callback"): _oidc_callback,
    ("GET", "/sso/{account}/saml/metadata"): lambda rt: (
        _owner(rt),
        Call("/sso/acme/saml/metadata"),
    )[1],
    ("POST", "/sso/{account}/saml/acs"): _saml_acs,
    ("GET", "/api/setup"): lambda rt: Call("/api/setup"),
    ("POST", "/api/setup"): lambda rt: Call(
        "/api/setup", json={"token": rt.setup_gate.open(), **_SETUP}
    ),
    ("GET", "/setup"): lambda rt: Call("/setup", params={"token": rt.setup_gate.open()}),
    ("POST", "/setup"): lambda rt: Call("/setup", form={"token": rt.setup_gate.open(), **_SETUP}),
    ("POST", "/api/accounts/{account}/login"): lambda rt: Call(
        "/api/accounts/acme/login", json={"email": _owner(rt).email, "password": PASSWORD}
    ),
    ("POST", "/api/token/refresh"): lambda rt: Call(
        "/api/token/refresh", json={"refresh_token": _refresh_token(rt)}
    ),
    ("GET", "/api/accounts/signup/{secret}"): lambda rt: Call(
        f"/api/accounts/signup/{_invited(rt)}"
    ),
    ("POST", "/api/accounts/signup"): lambda rt: Call(
        "/api/accounts/signup", json={"secret": _invited(rt), "password": PASSWORD}
    ),
    ("GET", "/signup"): lambda rt: Call("/signup", params={"secret": _invited(rt)}),
    ("POST", "/signup"): lambda rt: Call(
        "/signup", form={"secret": _invited(rt), "password": PASSWORD}
    ),
    ("GET", "/login"): _login_page,
    ("POST", "/login"): lambda rt: Call(
        "/login", form={"account": "acme", "email": _owner(rt).email, "password": PASSWORD}
    ),
    ("POST", "/api/accounts/forgotpassword"): lambda rt: Call(
        "/api/accounts/forgotpassword", json={"account": "acme", "email": _owner(rt).email}
    ),
    ("POST", "/api/accounts/resetpassword"): lambda rt: Call(
        "/api/accounts/resetpassword",
        json={"token": _reset_token(rt), "new_password": "a fresh and unusual passphrase"},
    ),
    ("GET", "/forgotpassword"): lambda rt: Call("/forgotpassword", params={"account": "acme"}),
    ("POST", "/forgotpassword"): lambda rt: Call(
        "/forgotpassword", form={"account": "acme", "email": _owner(rt).email}
    ),
    ("GET", "/resetpassword"): lambda rt: Call("/resetpassword", params={"token": "x"}),
    ("POST", "/resetpassword"): lambda rt: Call(
        "/resetpassword",
        form={
            "token": _reset_token(rt),
            "new_password": "a fresh and unusual passphrase",
            "confirm_password": "a fresh and unusual passphrase",
        },
    ),
    ("GET", "/healthz"): lambda rt: Call("/healthz"),
    ("GET", "/readyz"): lambda rt: _ready(rt, Call("/readyz")),
    ("GET", "/metrics"): lambda rt: Call("/metrics"),
}


def example_for(endpoint: Endpoint) -> Example:
    example = EXAMPLES.get(endpoint.key)
    if example is None:
        pytest.fail(f"{endpoint} has no example request: add one to EXAMPLES in {__file__}")
    return example


# -- assertions -----------------------------------------------------------------------------


def sent_to_sign_in(response: Response) -> bool:
    """The console's form of 401: a redirect to the sign-in page, and back after."""
    location = response.headers.get("location", "")
    return response.status_code == 303 and location.startswith("/login?next=")


def assert_outcome(response: Response, outcome: Outcome, what: str, *, console: bool) -> None:
    """Allowed: a success (2xx, or a console form's redirect elsewhere than the sign-in
    page), so the example really went through. Denied: exactly 403 or 404, in the error
    shape of API.md (on the console: its HTML error page). Never a 500."""
    status = response.status_code
    assert status != 500, f"{what}: 500 {response.text}"
    if outcome is Outcome.ALLOWED:
        success = 200 <= status < 300 or (console and status == 303)
        assert success and not sent_to_sign_in(response), (
            f"{what}: expected allowed, got {status} {response.text}"
        )
        return
    assert status == outcome.value, (
        f"{what}: expected {outcome.value}, got {status} {response.text}"
    )
    if console:
        assert response.headers["content-type"].startswith("text/html"), response.headers
    else:
        error_of(response, outcome.value)


# -- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def matrix_app() -> FastAPI:
    """One app for the module. A new app's first request builds FastAPI's route contexts
    (~0.2 s with this many routes); a thousand cases cannot each pay that."""
    return _app()


@pytest.fixture(scope="module", autouse=True)
def _identity_providers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The OpenID provider and SAML identity provider the identity examples talk to."""
    with identity_peers(tmp_path_factory.mktemp("saml-idp")):
        yield


@pytest.fixture
def client(matrix_app: FastAPI, runtime: Runtime) -> TestClient:
    """The module's app on this test's runtime (and so its freshly emptied database).
    No lifespan: the index poller and the mail worker play no part in a decision."""
    matrix_app.state.runtime = runtime
    return TestClient(matrix_app, raise_server_exceptions=False)


@pytest.fixture(scope="session")
def origin_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A real git repository with blueprints, for repositories to point at and sync."""
    return example_origin(Path(tmp_path_factory.mktemp("origin")) / "blueprints.git").url


# -- 1. every route declares exactly one guard ----------------------------------------------


def test_every_route_declares_exactly_one_guard() -> None:
    assert _routes(), "api_routes() found no route"
    problems = [problem for route in _routes() if (problem := guard_problem(route))]
    assert not problems, "routes without exactly one guard:\n" + "\n".join(problems)


def test_guard_check_catches_a_missing_or_doubled_guard() -> None:
    """The check above is only as good as `guards_of`; show it sees both mistakes, and
    a guard declared in a sub-dependency, through nested routers."""
    inner = APIRouter()

    def via_dependency(_: None = Depends(Public())) -> None:
        return None

    @inner.get("/bare")
    def bare() -> None:
        return None

    @inner.get("/twice", dependencies=[Depends(SignedIn()), Depends(via_dependency)])
    def twice() -> None:
        return None

    @inner.get("/nested", dependencies=[Depends(via_dependency)])
    def nested() -> None:
        return None

    outer = APIRouter()
    outer.include_router(inner)
    app = FastAPI()
    app.include_router(outer)
    problems = {route.name: guard_problem(route) for route in api_routes(app)}
    assert problems.keys() == {"bare", "twice", "nested"}
    assert problems["bare"] is not None
    assert problems["twice"] is not None
    assert problems["nested"] is None


def _served_routes(app: FastAPI) -> set[tuple[str, str, int]]:
    """(method, path, guard count) of every endpoint as FastAPI serves it, with what
    `include_router` adds (a prefix, dependencies)."""
    iter_contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    contexts: list[Any] = list(iter_contexts(app.routes)) if iter_contexts else list(app.routes)
    return {
        (method, context.path, len(guards_of(context.dependant)))
        for context in contexts
        if isinstance(getattr(context, "original_route", context), APIRoute)
        for method in context.methods
    }


def test_api_routes_are_the_served_routes() -> None:
    """The matrix walks `api_routes(app)`, which reads each router's own routes; they
    must be the routes served, at the same paths and with the same guards (an
    `include_router(prefix=..., dependencies=...)` would silently break both)."""
    app = _app()
    listed = {
        (method, route.path, len(guards_of(route.dependant)))
        for route in api_routes(app)
        for method in route.methods or ()
    }
    assert listed == _served_routes(app)


def test_every_route_has_an_example() -> None:
    keys = {endpoint.key for endpoint in endpoints()}
    public = {endpoint.key for endpoint in public_endpoints()}
    scim = {endpoint.key for endpoint in scim_endpoints()}
    missing = (
        sorted((keys - public - scim) - set(EXAMPLES))
        + sorted(public - set(PUBLIC_EXAMPLES))
        + sorted(scim - set(SCIM_EXAMPLES))
    )
    assert not missing, f"add an example request for: {missing}"
    stale = sorted((set(EXAMPLES) | set(PUBLIC_EXAMPLES) | set(SCIM_EXAMPLES)) - keys)
    assert not stale, f"examples for routes that no longer exist: {stale}"
    assert not set(EXAMPLES) & public, "Public routes take their example from PUBLIC_EXAMPLES"


def test_matrix_covers_both_cells() -> None:
    """Each permission-guarded route is allowed to someone and denied to someone, so the
    principals exercise both sides of every guard."""
    for endpoint in guarded_endpoints():
        outcomes = {expected_outcome(endpoint.guard, p) for p in PRINCIPALS}
        if isinstance(endpoint.guard, SignedIn):
            assert outcomes == {Outcome.ALLOWED}, endpoint
        else:
            assert Outcome.ALLOWED in outcomes and len(outcomes) > 1, (endpoint, outcomes)


# -- 2. the matrix ---------------------------------------------------------------------------


def _matrix_cases() -> Iterator[Any]:
    for endpoint in guarded_endpoints():
        for principal in PRINCIPALS:
            yield pytest.param(endpoint, principal, id=f"{endpoint} as {principal.key}")


@pytest.mark.parametrize(("endpoint", "principal"), list(_matrix_cases()))
def test_matrix(
    client: TestClient,
    runtime: Runtime,
    origin_url: str,
    endpoint: Endpoint,
    principal: Principal,
) -> None:
    outcome = expected_outcome(endpoint.guard, principal)
    example = example_for(endpoint)
    world = build_world(runtime, principal, origin_url)
    call = example(world, world.me)
    response = call.send(client, endpoint.method, world.me.credentials(call.path))
    what = f"{endpoint} as {principal.key}"
    assert_outcome(response, outcome, what, console=endpoint.console)


@pytest.mark.parametrize("endpoint", public_endpoints(), ids=str)
def test_public_routes_need_no_credentials(
    client: TestClient, runtime: Runtime, endpoint: Endpoint
) -> None:
    example = PUBLIC_EXAMPLES.get(endpoint.key)
    if example is None:
        pytest.fail(f"{endpoint} has no example request: add one to PUBLIC_EXAMPLES")
    response = example(runtime).send(client, endpoint.method)
    assert response.status_code != 401, response.text
    assert_outcome(response, Outcome.ALLOWED, str(endpoint), console=endpoint.console)


# -- 3. no credentials: 401 ------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", guarded_endpoints(), ids=str)
def test_no_credentials_answer_401(
    client: TestClient, runtime: Runtime, origin_url: str, endpoint: Endpoint
) -> None:
    """No credentials, wrong ones, or the other channel's (a console session on the API,
    an API token on the console) are all refused before any permission is looked at."""
    world = build_world(runtime, ACCOUNT_ADMIN, origin_url)
    call = example_for(endpoint)(world, world.me)
    other_channel = (
        Credentials(bearer=world.me.api_token)
        if endpoint.console
        else Credentials(cookie=world.me.console_session)
    )
    for credentials in (
        Credentials(),
        Credentials(bearer="not-a-token", cookie="not-a-session"),
        other_channel,
    ):
        response = call.send(client, endpoint.method, credentials)
        if endpoint.console:
            assert sent_to_sign_in(response), (credentials, response.status_code, response.text)
        else:
            error_of(response, 401, "Unauthorized")


# -- 4. another account's names are not found -----------------------------------------------


def _named_endpoints() -> list[Endpoint]:
    return [
        endpoint
        for endpoint in guarded_endpoints()
        if any(param in endpoint.path for param in NAME_PARAMS)
    ]


@pytest.mark.parametrize("endpoint", _named_endpoints(), ids=str)
def test_names_of_another_account_are_not_found(
    client: TestClient, runtime: Runtime, origin_url: str, endpoint: Endpoint
) -> None:
    """The Account Admin of `globex` names `acme`'s space, user or role: their token is
    bound to `globex`, where no such name exists."""
    world = build_world(runtime, ACCOUNT_ADMIN, origin_url)
    stranger = world.stranger
    call = example_for(endpoint)(world, stranger)
    response = call.send(client, endpoint.method, stranger.credentials(call.path))
    what = f"{endpoint} from another account"
    assert_outcome(response, Outcome.HIDDEN, what, console=endpoint.console)


def test_spaces_of_another_account_are_not_listed(
    client: TestClient, runtime: Runtime, origin_url: str
) -> None:
    world = build_world(runtime, ACCOUNT_ADMIN, origin_url)
    mine = Call("/api/spaces").send(client, "GET", world.me.credentials("/api/spaces"))
    theirs = Call("/api/spaces").send(client, "GET", world.stranger.credentials("/api/spaces"))
    assert mine.status_code == theirs.status_code == 200, (mine.text, theirs.text)
    assert [space["name"] for space in mine.json()] == [SPACE]
    assert [space["name"] for space in theirs.json()] == ["elsewhere"]


# -- 5. SCIM routes: a SCIM token of the account -----------------------------------------------


@pytest.mark.parametrize("endpoint", scim_endpoints(), ids=str)
def test_scim_routes_take_a_scim_token_only(
    client: TestClient, runtime: Runtime, origin_url: str, endpoint: Endpoint
) -> None:
    """Without a SCIM token, or with a user's API token or console session, every SCIM
    route answers 401 in SCIM's error shape; with the account's token, it works."""
    world = build_world(runtime, ACCOUNT_ADMIN, origin_url)
    path, body, status = SCIM_EXAMPLES[endpoint.key](runtime, world.account_id)
    for credentials in (
        Credentials(),
        Credentials(bearer="not-a-token"),
        Credentials(bearer=world.me.api_token, cookie=world.me.console_session),
    ):
        response = Call(path, json=body).send(client, endpoint.method, credentials)
        assert response.status_code == 401, (credentials, response.text)
        assert response.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    token = new_scim_token(runtime, world.account_id)
    response = Call(path, json=body).send(client, endpoint.method, Credentials(bearer=token))
    assert response.status_code == status, response.text
    assert response.status_code == 204 or response.headers["content-type"].startswith(
        "application/scim+json"
    )
