"""Home, a space's overview, and its Settings > Users (the seed's "Add Existing Users
to Your Space")."""

from __future__ import annotations

from collections.abc import Sized
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from sqlalchemy.orm import Session

from spacegate.access.guard import SpaceAccess
from spacegate.access.requires import ManageSpaceUsers, SignedInAccess, ViewSpace
from spacegate.authz import SPEC_BY_ID, Level
from spacegate.authz.masks import sorted_permissions
from spacegate.blueprints import repositories
from spacegate.blueprints import service as blueprints
from spacegate.deps import RuntimeDep, SessionDep
from spacegate.environments import service as environments
from spacegate.errors import InvalidInput
from spacegate.invitations import listing
from spacegate.roles.service import RoleRef, find_role, list_roles
from spacegate.spaces import members as space_members
from spacegate.spaces import service
from spacegate.users import service as users
from spacegate.web import administration
from spacegate.web.confirm import ConfirmedField, ask, confirmed, gained, raising
from spacegate.web.console import Console, page
from spacegate.web.csrf import verify_csrf
from spacegate.web.forms import Refusal, back_to, submit
from spacegate.web.templating import redirect

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
router.include_router(administration.router)  # served with Home: where the menus start


def _users_url(access: SpaceAccess) -> str:
    return f"/spaces/{quote(access.space.name, safe='')}/settings/users"


HOME_PAGE = 50


@router.get("/")
def home(
    request: Request,
    access: SignedInAccess,
    session: SessionDep,
    runtime: RuntimeDep,
    after: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """My spaces, by name, a page at a time (an administrator sees every space of the
    account: tens of thousands in a large one)."""
    console = Console.of(session, access)
    roles = {
        view.space_name: view.space_role
        for view in space_members.user_view(session, console.user).member_in_spaces
    }
    fallback = (
        "Account Admin (full access)"
        if console.may("FULL_ACCESS_ALL_SPACES")
        else "Through my account role"
    )
    found = service.visible_spaces(
        session, access, limit=HOME_PAGE + 1, after=after.lower() if after else None
    )
    rows = [(space, roles.get(space.name, fallback)) for space in found[:HOME_PAGE]]
    following = found[HOME_PAGE - 1].name_key if len(found) > HOME_PAGE else None
    return console.page(
        request,
        "home.html",
        {
            "rows": rows,
            "nav": "home",
            "steps": _getting_started(session, console) if not after else [],
            "next_after": following,
        },
    )


@dataclass(frozen=True)
class Step:
    title: str
    url: str
    done: bool
    hint: str


def _getting_started(session: Session, console: Console) -> list[Step]:
    """An Account Admin's first steps, until each is done: a space, people, blueprints.
    Empty for everyone else, and once all are done."""
    if not (console.may("CREATE_SPACES") and console.may("INVITE_USERS")):
        return []
    account_id = console.access.caller.account_id
    first = console.spaces[0] if console.spaces else None
    people = len(users.list_users(session, account_id, query=None, limit=2, after_id=None)) > 1
    invited = bool(listing.pending_invitations(session, account_id))
    connected = repositories.account_has_repositories(session, account_id)
    steps = [
        Step("Create a space", "/admin/spaces", first is not None, "Spaces hold environments."),
        Step(
            "Invite people",
            "/admin/users/invite",
            people or invited,
            "Choose their space and role as you invite them.",
        ),
        Step(
            "Connect a blueprint repository",
            f"/spaces/{quote(first.name, safe='')}/repositories" if first else "/admin/spaces",
            connected,
            "Its blueprints fill the space's catalog once published.",
        ),
    ]
    return [] if all(step.done for step in steps) else steps


@router.get("/spaces/{space}")
def space_overview(request: Request, access: ViewSpace, session: SessionDep) -> Response:
    return page(
        request,
        session,
        access,
        "space.html",
        tab="overview",
        members=space_members.members(session, access.space),
        permissions=[SPEC_BY_ID[p].label for p in sorted_permissions(access.mask(access.space.id))],
        summary=_summary(session, access),
    )


SUMMARY_LIMIT = 100  # counted up to this; beyond, the page says "100+"


@dataclass(frozen=True)
class Summary:
    running: str
    mine: str
    published: str


def _summary(session: Session, access: SpaceAccess) -> Summary:
    """The Overview's counts: running environments (all, mine), published blueprints."""

    def count(found: Sized) -> str:
        return f"{SUMMARY_LIMIT}+" if len(found) > SUMMARY_LIMIT else str(len(found))

    def running(which: str) -> str:
        return count(
            environments.list_environments(
                session,
                access,
                access.space,
                which=which,
                show_ended=False,
                limit=SUMMARY_LIMIT + 1,
                before_id=None,
            )
        )

    published = blueprints.catalog(session, access.space, limit=SUMMARY_LIMIT + 1, after_id=None)
    return Summary(running("all"), running("my"), count(published))


def _settings_page(
    request: Request,
    access: SpaceAccess,
    session: SessionDep,
    template: str,
    *,
    status_code: int = 200,
    **extra: object,
) -> Response:
    return page(
        request,
        session,
        access,
        template,
        status_code=status_code,
        tab="settings",
        members=space_members.members(session, access.space),
        roles=list_roles(session, access.caller.account_id, Level.SPACE),
        **extra,
    )


@router.get("/spaces/{space}/settings/users")
def space_users(request: Request, access: ManageSpaceUsers, session: SessionDep) -> Response:
    roles = list_roles(session, access.caller.account_id, Level.SPACE)
    by_name = {role.name: role for role in roles}
    members = space_members.members(session, access.space)
    return _settings_page(
        request,
        access,
        session,
        "space_users.html",
        raising={m.user.email: raising(roles, by_name.get(m.space_role)) for m in members},
    )


@router.get("/spaces/{space}/settings/users/add")
def add_users_form(
    request: Request,
    access: ManageSpaceUsers,
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=254)] = None,
) -> Response:
    candidates = space_members.candidates(session, access.space, q, 200)
    return _settings_page(
        request, access, session, "space_users_add.html", candidates=candidates, q=q
    )


@router.post("/spaces/{space}/settings/users/add")
def add_users(
    request: Request,
    access: ManageSpaceUsers,
    session: SessionDep,
    runtime: RuntimeDep,
    emails: Annotated[list[str], Form(max_length=200)] = [],  # noqa: B006 (FastAPI copies defaults)
    space_role: Annotated[str, Form(max_length=200)] = "Space Member",
) -> Response:

    def add_each() -> None:
        if not emails:
            raise InvalidInput("Select at least one user to add.", field="emails")
        for email in emails:
            space_members.add_member(
                session,
                access,
                access.space,
                email=email,
                space_role=space_role,
                refused_domains=runtime.settings.refused_email_domains,
            )

    def redisplay(refusal: Refusal) -> Response:
        return _settings_page(
            request,
            access,
            session,
            "space_users_add.html",
            status_code=refusal.status_code,
            candidates=space_members.candidates(session, access.space, None, 200),
            chosen=set(emails),
            chosen_role=space_role,
            error=refusal.message,
        )

    done = submit(session, add_each, redisplay)
    if isinstance(done, Response):
        return done
    added = ", ".join(emails)
    return redirect(_users_url(access), flash=f"Added {added} as {space_role}.")


def _member_role(session: Session, access: SpaceAccess, email: str) -> RoleRef | None:
    key = email.strip().lower()
    for member in space_members.members(session, access.space):
        if member.user.email_key == key:
            return find_role(session, access.caller.account_id, member.space_role)
    return None


@router.post("/spaces/{space}/settings/users/role")
def change_role(
    request: Request,
    access: ManageSpaceUsers,
    session: SessionDep,
    email: Annotated[str, Form(max_length=254)],
    space_role: Annotated[str, Form(max_length=200)],
    confirmed_: ConfirmedField = "",
) -> Response:
    """Asks first when the new role gives more than the current one."""
    current = _member_role(session, access, email)
    wanted = find_role(session, access.caller.account_id, space_role)
    if wanted and raising([wanted], current) and not confirmed(confirmed_):
        return ask(
            request,
            session,
            access,
            tab="settings",
            title=f"Make {email} {wanted.name} in {access.space.name}?",
            question=f"{email} will be able to do more here than as "
            f"{current.name if current else 'now'}:",
            details=gained(wanted, current),
            action=f"{_users_url(access)}/role",
            fields={"email": email, "space_role": wanted.name},
            button=f"Make {wanted.name}",
            cancel=_users_url(access),
            danger=False,
        )
    user = users.find_user(session, access.caller.account_id, email)
    back = f"{_users_url(access)}#role-{user.id}" if user else _users_url(access)
    done = submit(
        session,
        lambda: space_members.set_member_role(session, access, access.space, email, space_role),
        back_to(back),
    )
    if isinstance(done, Response):
        return done
    return redirect(back, flash=f"{email} is now {space_role}.")


@router.post("/spaces/{space}/settings/users/remove")
def remove_member(
    request: Request,
    access: ManageSpaceUsers,
    session: SessionDep,
    email: Annotated[str, Form(max_length=254)],
    confirmed_: ConfirmedField = "",
) -> Response:
    if not confirmed(confirmed_):
        return ask(
            request,
            session,
            access,
            tab="settings",
            title=f"Remove {email} from {access.space.name}?",
            question="They lose their role in this space (not their user). You can add them "
            "again later.",
            action=f"{_users_url(access)}/remove",
            fields={"email": email},
            button="Remove from space",
            cancel=_users_url(access),
        )
    done = submit(
        session,
        lambda: space_members.remove_member(session, access, access.space, email),
        back_to(_users_url(access)),
    )
    if isinstance(done, Response):
        return done
    return redirect(_users_url(access), flash=f"Removed {email} from {access.space.name}.")
