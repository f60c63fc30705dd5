"""The permission matrix, generated from the catalog: every route x every principal.

Nothing here says which role holds which permission. A route's expected outcome is
computed from the guard it declares (`spacegate.access.guard`) and the principal's
permissions, read off `spacegate.authz.catalog` (built-in roles) or the custom role's
own list, with the rules of PERMISSIONS.md:

- rule 1: an account role's space-level permissions apply in every space, and
  FULL_ACCESS_ALL_SPACES grants every space permission;
- rule 3: a space the caller holds no permission in answers 404; a visible one they may
  not act in answers 403; no credentials answer 401.

What a test needs per route is one valid example request (`EXAMPLES`, keyed by
`(method, route.path)`); a route without one fails `test_every_route_has_an_example`
and its matrix cases, so a new route cannot slip past the matrix. "Allowed" is checked
strictly (a 2xx answer), which proves the example really reached the endpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from enum import Enum
from functools import cache
from typing import Any

import fastapi.routing
import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from httpx2 import Response

from spacegate.access.guard import Guard, Public, RequireAccount, RequireSpace, SignedIn
from spacegate.app import api_routes, create_app
from spacegate.auth.models import TokenKind
from spacegate.auth.secrets import hash_secret, new_secret
from spacegate.auth.service import issue_session_tokens, issue_token
from spacegate.authz import SPEC_BY_ID, BuiltinRole, Level, Permission
from spacegate.authz.catalog import builtin_role, builtin_role_permissions, permissions_of_level
from spacegate.db import transaction, utcnow
from spacegate.invitations.models import Invitation
from spacegate.runtime import Runtime
from spacegate.settings import Settings
from spacegate.users.models import User
from tests.api_helpers import error_of
from tests.factories import (
    PASSWORD,
    Person,
    add_member,
    new_account,
    new_custom_role,
    new_space,
    new_user,
)

SPACE_PERMISSIONS = frozenset(permissions_of_level(Level.SPACE))
NAME_PARAMS = ("{space}", "{email}", "{name}")

# -- the routes and their guards --------------------------------------------------------


def guards_of(dependant: Dependant) -> list[Guard]:
    """Every guard declared anywhere in a route's dependency tree."""
    found: list[Guard] = []
    for dependency in dependant.dependencies:
        if isinstance(dependency.call, Guard):
            found.append(dependency.call)
        found.extend(guards_of(dependency))
    return found


def guard_problem(route: APIRoute) -> str | None:
    """Why the route's guard declaration is wrong, or None when it has exactly one."""
    guards = guards_of(route.dependant)
    if len(guards) == 1:
        return None
    kinds = ", ".join(type(guard).__name__ for guard in guards) or "none"
    return f"{sorted(route.methods)} {route.path}: {len(guards)} guards ({kinds})"


def guard_of(route: APIRoute) -> Guard:
    problem = guard_problem(route)
    assert problem is None, problem
    return guards_of(route.dependant)[0]


@cache
def _routes() -> tuple[APIRoute, ...]:
    # Building the app touches no database: the runtime only starts with the lifespan.
    app = create_app(Settings(secret_key="matrix", database_url="sqlite://"))
    return tuple(api_routes(app))


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
        return guard_of(self.route)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def endpoints() -> list[Endpoint]:
    return [
        Endpoint(method, route.path, route)
        for route in _routes()
        for method in sorted(route.methods)
    ]


def _guarded_with(kind: type[Guard], *, negate: bool = False) -> list[Endpoint]:
    selected = []
    for endpoint in endpoints():
        guards = guards_of(endpoint.route.dependant)
        is_kind = len(guards) == 1 and isinstance(guards[0], kind)
        if is_kind != negate:
            selected.append(endpoint)
    return selected


# -- principals, built from role definitions only ----------------------------------------


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
        {
            Permission.CREATE_SPACES,
            Permission.ACCESS_ADMINISTRATION,
            Permission.VIEW_COST_DATA,
        }
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
    """A user of the account, holding `account_role`, and `space_role` in the target space."""

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


class Outcome(Enum):
    ALLOWED = "allowed"
    FORBIDDEN = "403"
    HIDDEN = "404"


def expected_outcome(guard: Guard, principal: Principal) -> Outcome:
    """What the route's declared guard means for this principal (PERMISSIONS.md)."""
    if isinstance(guard, SignedIn):
        return Outcome.ALLOWED
    permission = guard.permission
    assert permission is not None, f"{guard!r} declares no permission"
    if isinstance(guard, RequireAccount):
        allowed = permission in principal.account_permissions()
        return Outcome.ALLOWED if allowed else Outcome.FORBIDDEN
    if isinstance(guard, RequireSpace):
        in_space = principal.space_permissions()
        if not in_space:
            return Outcome.HIDDEN  # rule 3: no permission at all in the space
        if SPEC_BY_ID[permission].level is Level.SPACE:
            allowed = permission in in_space
        else:  # e.g. CREATE_SPACES to rename: an account permission, on a visible space
            allowed = permission in principal.account_permissions()
        return Outcome.ALLOWED if allowed else Outcome.FORBIDDEN
    raise AssertionError(f"no expectation for guard {guard!r}")


# -- the world each case runs in ----------------------------------------------------------


@dataclass(frozen=True)
class World:
    """Account `acme` with a target space, a member of it to act on (`victim`), an
    account user outside it (`candidate`), and the custom roles."""

    runtime: Runtime
    account_id: int
    space: str
    space_id: int
    victim: Person
    candidate: Person


def build_world(runtime: Runtime) -> World:
    owner = new_account(runtime, "acme", "owner@acme.example")
    account_id = owner.account_id
    for role in CUSTOM_ROLES.values():
        new_custom_role(runtime, account_id, role.name, role.level, sorted(role.permissions))
    space_id = new_space(runtime, account_id, "target")
    victim = new_user(runtime, account_id, "victim@acme.example")
    add_member(runtime, space_id, victim.user_id, BuiltinRole.SPACE_MEMBER)
    candidate = new_user(runtime, account_id, "candidate@acme.example")
    return World(runtime, account_id, "target", space_id, victim, candidate)


def sign_up(world: World, principal: Principal) -> Person:
    if principal.account_role in CUSTOM_ROLES:
        person = new_user(
            world.runtime,
            world.account_id,
            principal.email,
            custom_account_role=principal.account_role,
        )
    else:
        person = new_user(
            world.runtime, world.account_id, principal.email, account_role=principal.account_role
        )
    if principal.space_role is not None:
        add_member(world.runtime, world.space_id, person.user_id, principal.space_role)
    return person


# -- one valid example request per route ---------------------------------------------------


@dataclass(frozen=True)
class Call:
    path: str
    json: Any = None
    params: dict[str, str] | None = None
    form: dict[str, str] | None = None

    def send(
        self, client: TestClient, method: str, headers: dict[str, str] | None = None
    ) -> Response:
        return client.request(
            method,
            self.path,
            json=self.json,
            params=self.params,
            data=self.form,
            headers=headers or {},
        )


Example = Callable[[World, Person], Call]


def _extra_api_token(world: World, me: Person) -> Call:
    with transaction(world.runtime.sessions) as session:
        user = session.get(User, me.user_id)
        assert user is not None
        issued = issue_token(session, user, TokenKind.API, lifetime=timedelta(days=1))
        token_id = issued.token.id
    return Call(f"/api/tokens/{token_id}")


def new_invitation(runtime: Runtime, account_id: int, email: str) -> str:
    """A pending invitation to the account, as `POST /api/accounts/invitations` leaves
    it; returns the secret of its signup link."""
    secret = new_secret()
    with transaction(runtime.sessions) as session:
        session.add(
            Invitation(
                account_id=account_id,
                email=email,
                email_key=email.lower(),
                account_role=BuiltinRole.MEMBER.value,
                spaces=[],
                invited_by="owner@acme.example",
                secret_hash=hash_secret(secret),
                expires_at=utcnow() + timedelta(days=7),
            )
        )
    return secret


def _pending_invitation(path: str) -> Example:
    def example(world: World, me: Person) -> Call:
        new_invitation(world.runtime, world.account_id, INVITEE)
        return Call(path, json={"emails": [INVITEE]})

    return example


def _self_check(world: World, me: Person) -> Call:
    return Call(
        "/api/authz/check",
        json={"email": me.email, "permission": "VIEW_SPACE", "space_name": world.space},
    )


def _self_explain(world: World, me: Person) -> Call:
    return Call(
        "/api/authz/explain",
        json={"email": me.email, "permission": "VIEW_SPACE", "space_name": world.space},
    )


INVITEE = "invitee@acme.example"

EXAMPLES: dict[tuple[str, str], Example] = {
    # Tokens
    ("POST", "/api/token/longtoken"): lambda w, me: Call(
        "/api/token/longtoken", json={"name": "ci", "expires_in_days": 30}
    ),
    ("GET", "/api/tokens"): lambda w, me: Call("/api/tokens"),
    ("DELETE", "/api/tokens/{token_id}"): _extra_api_token,
    # Account users
    ("GET", "/api/accounts/users"): lambda w, me: Call("/api/accounts/users"),
    ("GET", "/api/accounts/users/{email}"): lambda w, me: Call(
        f"/api/accounts/users/{w.victim.email}"
    ),
    ("POST", "/api/accounts/users"): lambda w, me: Call(
        "/api/accounts/users",
        json={"email": "newcomer@acme.example", "first_name": "New", "last_name": "Comer"},
    ),
    ("DELETE", "/api/accounts/users/{email}"): lambda w, me: Call(
        f"/api/accounts/users/{w.victim.email}"
    ),
    ("PUT", "/api/accounts/users/{email}/account_role"): lambda w, me: Call(
        f"/api/accounts/users/{w.victim.email}/account_role",
        params={"value": CUSTOM_ACCOUNT_ROLE.name},
    ),
    ("DELETE", "/api/accounts/users/{email}/account_role"): lambda w, me: Call(
        f"/api/accounts/users/{w.victim.email}/account_role"
    ),
    ("PUT", "/api/accounts/users/{email}/status"): lambda w, me: Call(
        f"/api/accounts/users/{w.victim.email}/status", params={"value": "inactive"}
    ),
    ("GET", "/api/me"): lambda w, me: Call("/api/me"),
    # Invitations
    ("POST", "/api/accounts/invitations"): lambda w, me: Call(
        "/api/accounts/invitations",
        json={"emails": [INVITEE], "space_name": w.space, "space_role": "Space Member"},
    ),
    ("GET", "/api/accounts/invitations"): lambda w, me: Call(
        "/api/accounts/invitations", params={"status": "pending"}
    ),
    ("DELETE", "/api/accounts/invitations"): _pending_invitation("/api/accounts/invitations"),
    ("POST", "/api/accounts/invitations/resend"): _pending_invitation(
        "/api/accounts/invitations/resend"
    ),
    # Spaces and members
    ("GET", "/api/spaces"): lambda w, me: Call("/api/spaces"),
    ("POST", "/api/spaces"): lambda w, me: Call(
        "/api/spaces", json={"name": "fresh", "color": "green"}
    ),
    ("GET", "/api/spaces/{space}"): lambda w, me: Call(f"/api/spaces/{w.space}"),
    ("PUT", "/api/spaces/{space}"): lambda w, me: Call(
        f"/api/spaces/{w.space}", json={"name": "renamed", "color": "teal"}
    ),
    ("DELETE", "/api/spaces/{space}"): lambda w, me: Call(f"/api/spaces/{w.space}"),
    ("GET", "/api/spaces/{space}/users"): lambda w, me: Call(f"/api/spaces/{w.space}/users"),
    ("GET", "/api/spaces/{space}/users/candidates"): lambda w, me: Call(
        f"/api/spaces/{w.space}/users/candidates", params={"q": "candidate"}
    ),
    ("POST", "/api/spaces/{space}/users"): lambda w, me: Call(
        f"/api/spaces/{w.space}/users", json={"email": w.candidate.email}
    ),
    ("PUT", "/api/spaces/{space}/users/{email}/space_role"): lambda w, me: Call(
        f"/api/spaces/{w.space}/users/{w.victim.email}/space_role",
        params={"value": BuiltinRole.SPACE_DEVELOPER},
    ),
    ("DELETE", "/api/spaces/{space}/users/{email}"): lambda w, me: Call(
        f"/api/spaces/{w.space}/users/{w.victim.email}"
    ),
    ("GET", "/api/spaces/{space}/user_permissions"): lambda w, me: Call(
        f"/api/spaces/{w.space}/user_permissions"
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
    ("POST", "/api/authz/check"): _self_check,
    ("POST", "/api/authz/explain"): _self_explain,
}


# Public routes arrange their own installation: the setup routes need one without any
# account (their link only works then); signing in needs an account.
PublicExample = Callable[[Runtime], Call]


def _fresh_setup(runtime: Runtime) -> Call:
    return Call(
        "/api/setup",
        json={
            "token": runtime.setup_gate.open(),
            "account_name": "acme",
            "email": "owner@acme.example",
            "password": PASSWORD,
        },
    )


def _fresh_setup_form(runtime: Runtime) -> Call:
    return Call(
        "/setup",
        form={
            "token": runtime.setup_gate.open(),
            "account_name": "acme",
            "email": "owner@acme.example",
            "password": PASSWORD,
        },
    )


def _login(runtime: Runtime) -> Call:
    owner = new_account(runtime, "acme", "owner@acme.example")
    return Call("/api/accounts/acme/login", json={"email": owner.email, "password": PASSWORD})


def _refresh(runtime: Runtime) -> Call:
    owner = new_account(runtime, "acme", "owner@acme.example")
    with transaction(runtime.sessions) as session:
        user = session.get(User, owner.user_id)
        assert user is not None
        pair = issue_session_tokens(session, user, runtime.settings)
    return Call("/api/token/refresh", json={"refresh_token": pair.refresh_token})


def _invited(runtime: Runtime) -> str:
    owner = new_account(runtime, "acme", "owner@acme.example")
    return new_invitation(runtime, owner.account_id, INVITEE)


def _signup(runtime: Runtime) -> Call:
    body = {"secret": _invited(runtime), "password": PASSWORD, "first_name": "In"}
    return Call("/api/accounts/signup", json=body)


def _signup_form(runtime: Runtime) -> Call:
    return Call("/signup", form={"secret": _invited(runtime), "password": PASSWORD})


PUBLIC_EXAMPLES: dict[tuple[str, str], PublicExample] = {
    ("GET", "/api/setup"): lambda runtime: Call("/api/setup"),
    ("POST", "/api/setup"): _fresh_setup,
    ("GET", "/setup"): lambda runtime: Call("/setup", params={"token": runtime.setup_gate.open()}),
    ("POST", "/setup"): _fresh_setup_form,
    ("POST", "/api/accounts/{account}/login"): _login,
    ("POST", "/api/token/refresh"): _refresh,
    ("GET", "/api/accounts/signup/{secret}"): lambda runtime: Call(
        f"/api/accounts/signup/{_invited(runtime)}"
    ),
    ("POST", "/api/accounts/signup"): _signup,
    ("GET", "/signup"): lambda runtime: Call("/signup", params={"secret": _invited(runtime)}),
    ("POST", "/signup"): _signup_form,
}


def example_for(endpoint: Endpoint) -> Example:
    example = EXAMPLES.get(endpoint.key)
    if example is None:
        pytest.fail(f"{endpoint} has no example request: add one to EXAMPLES in {__file__}")
    return example


# -- assertions ------------------------------------------------------------------------


def assert_outcome(response: Response, outcome: Outcome, what: str) -> None:
    """Allowed: a 2xx (the example reached the endpoint and worked). Denied: exactly
    403 or 404, in the error shape of API.md. Never a 500."""
    status = response.status_code
    assert status != 500, f"{what}: 500 {response.text}"
    if outcome is Outcome.ALLOWED:
        assert 200 <= status < 300, f"{what}: expected allowed, got {status} {response.text}"
    else:
        expected = int(outcome.value)
        assert status == expected, f"{what}: expected {expected}, got {status} {response.text}"
        error_of(response, expected)


# -- 1. every route declares exactly one guard ---------------------------------------------


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


def served_routes(app: FastAPI) -> set[tuple[str, str, int]]:
    """(method, path, number of guards) of every endpoint as FastAPI serves it: with the
    prefixes and dependencies added by `include_router`, which `api_routes` (reading
    each router's own routes) would not see."""
    iter_contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    contexts: list[Any] = list(iter_contexts(app.routes)) if iter_contexts else list(app.routes)
    return {
        (method, context.path, len(guards_of(context.dependant)))
        for context in contexts
        if isinstance(getattr(context, "original_route", context), APIRoute)
        for method in context.methods
    }


def test_api_routes_are_the_served_routes() -> None:
    """The matrix walks `api_routes(app)`; it must see each route at the path it is
    served on, with every guard it runs (an `include_router(prefix=..., dependencies=...)`
    would break both, silently)."""
    app = create_app(Settings(secret_key="matrix", database_url="sqlite://"))
    listed = {
        (method, route.path, len(guards_of(route.dependant)))
        for route in api_routes(app)
        for method in route.methods
    }
    assert listed == served_routes(app)


def test_every_route_has_an_example() -> None:
    keys = {endpoint.key for endpoint in endpoints()}
    public = {endpoint.key for endpoint in _guarded_with(Public)}
    missing = sorted((keys - public) - set(EXAMPLES)) + sorted(public - set(PUBLIC_EXAMPLES))
    assert not missing, f"add an example request for: {missing}"
    stale = sorted((set(EXAMPLES) | set(PUBLIC_EXAMPLES)) - keys)
    assert not stale, f"examples for routes that no longer exist: {stale}"
    assert not set(EXAMPLES) & public, "Public routes take their example from PUBLIC_EXAMPLES"


# -- 2. the matrix ---------------------------------------------------------------------------


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world(runtime)


def _matrix_cases() -> Iterator[Any]:
    for endpoint in _guarded_with(Public, negate=True):
        for principal in PRINCIPALS:
            yield pytest.param(endpoint, principal, id=f"{endpoint} as {principal.key}")


@pytest.mark.parametrize(("endpoint", "principal"), list(_matrix_cases()))
def test_matrix(client: TestClient, world: World, endpoint: Endpoint, principal: Principal) -> None:
    outcome = expected_outcome(endpoint.guard, principal)
    example = example_for(endpoint)
    me = sign_up(world, principal)
    response = example(world, me).send(client, endpoint.method, me.headers)
    assert_outcome(response, outcome, f"{endpoint} as {principal.key}")


def test_matrix_covers_both_cells() -> None:
    """Each permission-guarded route is allowed to someone and denied to someone, so the
    principals really exercise both sides of every guard."""
    for endpoint in _guarded_with(Public, negate=True):
        outcomes = {expected_outcome(endpoint.guard, p) for p in PRINCIPALS}
        if isinstance(endpoint.guard, SignedIn):
            assert outcomes == {Outcome.ALLOWED}, endpoint
        else:
            assert Outcome.ALLOWED in outcomes and len(outcomes) > 1, (endpoint, outcomes)


@pytest.mark.parametrize("endpoint", _guarded_with(Public), ids=str)
def test_public_routes_need_no_credentials(
    client: TestClient, runtime: Runtime, endpoint: Endpoint
) -> None:
    example = PUBLIC_EXAMPLES.get(endpoint.key)
    if example is None:
        pytest.fail(f"{endpoint} has no example request: add one to PUBLIC_EXAMPLES")
    response = example(runtime).send(client, endpoint.method)
    assert response.status_code != 401, response.text
    if endpoint.path.startswith("/api/"):
        assert_outcome(response, Outcome.ALLOWED, str(endpoint))
    else:  # an HTML page: no API error shape to check, but it must work
        assert 200 <= response.status_code < 300, response.text


# -- 3. no credentials: 401 --------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", _guarded_with(Public, negate=True), ids=str)
def test_no_credentials_answer_401(client: TestClient, world: World, endpoint: Endpoint) -> None:
    me = sign_up(world, PRINCIPALS[0])
    call = example_for(endpoint)(world, me)
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        response = call.send(client, endpoint.method, headers)
        error_of(response, 401, "Unauthorized")


# -- 4. another account's names are not found ---------------------------------------------------


def _named_endpoints() -> list[Endpoint]:
    return [
        endpoint
        for endpoint in _guarded_with(Public, negate=True)
        if any(param in endpoint.path for param in NAME_PARAMS)
    ]


@pytest.fixture
def stranger(runtime: Runtime) -> Person:
    """The Account Admin of another account, which has a space of its own."""
    boss = new_account(runtime, "globex", "boss@globex.example")
    new_space(runtime, boss.account_id, "elsewhere")
    return boss


@pytest.mark.parametrize("endpoint", _named_endpoints(), ids=str)
def test_names_of_another_account_are_not_found(
    client: TestClient, world: World, stranger: Person, endpoint: Endpoint
) -> None:
    call = example_for(endpoint)(world, stranger)
    response = call.send(client, endpoint.method, stranger.headers)
    assert_outcome(response, Outcome.HIDDEN, f"{endpoint} from another account")


def test_spaces_of_another_account_are_not_listed(
    client: TestClient, world: World, stranger: Person
) -> None:
    admin = sign_up(world, PRINCIPALS[0])
    mine = client.get("/api/spaces", headers=admin.headers)
    theirs = client.get("/api/spaces", headers=stranger.headers)
    assert mine.status_code == theirs.status_code == 200, (mine.text, theirs.text)
    assert [space["name"] for space in mine.json()] == [world.space]
    assert [space["name"] for space in theirs.json()] == ["elsewhere"]
