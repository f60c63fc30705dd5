"""The console in a real browser: Debian's Chromium, driven by Playwright, against the
real server (`spacegate serve`) sending real mail to a loopback SMTP server.

The seed's two procedures are played as its own clicks ("Invite Users to Torque";
"Add Existing Users to Your Space"), then what the console must refuse. Each test
arranges its own account (tenant) on the shared server, so the tests are independent.
A full-page screenshot of each main page lands in test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import update

from spacegate.db import transaction, utcnow
from spacegate.invitations.models import Invitation
from spacegate.runtime import Runtime
from spacegate.users.models import User
from tests.factories import PASSWORD, Person, add_member, new_account, new_space, new_user
from tests.invitations.support import Received, SMTPServer
from tests.web.browsing import NewPage, Shoot
from tests.web.live import CHROMIUM, NO_CHROMIUM, LiveServer

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=NO_CHROMIUM)

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

NEW_PASSWORD = "a long and unusual passphrase"
CSRF_REFUSAL = "This form has expired or came from another site"


# --- helpers ----------------------------------------------------------------------------


def sign_in(page: Page, account: str, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Account").fill(account)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/$"))


def main_nav(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Main")


def csrf_token(page: Page) -> str:
    """The CSRF token the server gives this browser for its session, as its pages' forms
    carry it (signed over the CSRF cookie and the session cookie, both HttpOnly): read
    from a page fetched with the browser's cookies, without leaving the current one."""
    html = page.request.get("/profile").text()
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the profile page has no form with a CSRF token"
    return found.group(1)


def mail_to(mailbox: SMTPServer, email: str, timeout: float = 10) -> Received:
    """The newest message to `email`, waiting for the server's mail worker."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        received = mailbox.to(email)
        if received:
            return received[-1]
        time.sleep(0.05)
    raise AssertionError(f"no mail to {email} within {timeout} s")


def signup_link(server: LiveServer, message: Received) -> str:
    found = re.search(re.escape(server.url) + r"/signup\?secret=[A-Za-z0-9_\-]+", message.text)
    assert found is not None, f"no sign-up link in:\n{message.text}"
    return found.group(0)


def row_of(page: Page, text: str) -> Locator:
    return page.get_by_role("row").filter(has_text=text)


def named(runtime: Runtime, person: Person, first_name: str, last_name: str) -> Person:
    """Give an arranged user a name (the factories name only the users they add)."""
    with transaction(runtime.sessions) as session:
        user = session.get(User, person.user_id)
        assert user is not None
        user.first_name, user.last_name = first_name, last_name
    return person


# --- (1) the seed's "Invite Users to Torque" ----------------------------------------------


def test_invite_users_procedure_then_the_invitee_signs_up(
    new_page: NewPage,
    live_server: LiveServer,
    live_runtime: Runtime,
    mailbox: SMTPServer,
    shoot: Shoot,
) -> None:
    admin = named(
        live_runtime, new_account(live_runtime, "orbit", "ada@orbit.example.com"), "Ada", "Lovelace"
    )
    new_space(live_runtime, admin.account_id, "dev")
    new_space(live_runtime, admin.account_id, "prod")

    page = new_page()
    page.goto("/login")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    shoot(page, "login")
    sign_in(page, "orbit", admin.email)
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()
    shoot(page, "home")

    # 1. Open the Administration page. 2. Select Users.
    main_nav(page).get_by_role("link", name="Administration", exact=True).click()
    expect(page).to_have_url(re.compile(r"/admin$"))
    expect(page.get_by_role("heading", name="Administration", exact=True)).to_be_visible()
    page.get_by_role("navigation", name="Administration").get_by_role(
        "link", name="Users", exact=True
    ).click()
    expect(page).to_have_url(re.compile(r"/admin/users$"))
    expect(page.get_by_role("heading", name="Users", exact=True)).to_be_visible()

    # 3. Click the Invite User button.
    page.get_by_role("link", name="Invite User").click()
    expect(page.get_by_role("heading", name="Invite User")).to_be_visible()

    # 4. Enter a user's email address and press ENTER. Repeat to add additional users.
    emails = page.locator("#email-list input")
    expect(emails).to_have_count(1)
    emails.nth(0).fill("grace@orbit.example.com")
    emails.nth(0).press("Enter")
    expect(emails).to_have_count(2)  # Enter added a field instead of submitting
    expect(page).to_have_url(re.compile(r"/admin/users/invite$"))
    expect(emails.nth(1)).to_be_focused()
    page.keyboard.type("linus@orbit.example.com")
    page.keyboard.press("Enter")
    expect(emails).to_have_count(3)
    expect(emails.nth(2)).to_be_focused()

    # 5. Select the space settings to apply to the users.
    page.get_by_label("Space 1", exact=True).fill("dev")
    page.get_by_label("Space role 1", exact=True).select_option("Space Developer")
    page.get_by_label("Space 2", exact=True).fill("prod")
    page.get_by_label("Space role 2", exact=True).select_option("Space Admin")
    shoot(page, "invite-user")

    # 6. Click Send Invitation.
    page.get_by_role("button", name="Send Invitation").click()
    expect(page).to_have_url(re.compile(r"/admin/users$"))
    expect(page.get_by_role("status")).to_contain_text("grace@orbit.example.com: invitation sent")
    expect(page.get_by_role("status")).to_contain_text("linus@orbit.example.com: invitation sent")
    for email in ("grace@orbit.example.com", "linus@orbit.example.com"):
        invitation = row_of(page, email)
        expect(invitation).to_contain_text("pending")
        expect(invitation).to_contain_text("dev: Space Developer")
        expect(invitation).to_contain_text("prod: Space Admin")

    # The "Welcome to ..." email really arrives, with the sign-up link.
    message = mail_to(mailbox, "grace@orbit.example.com")
    assert "Welcome to orbit" in str(message.message["Subject"])
    link = signup_link(live_server, message)

    # The invitee follows the link, in a browser of her own, and signs up.
    invitee = new_page()
    invitee.goto(link)
    expect(invitee.get_by_role("heading", name="Join orbit")).to_be_visible()
    expect(invitee.get_by_text("grace@orbit.example.com")).to_be_visible()
    shoot(invitee, "signup")
    invitee.get_by_label("First name").fill("Grace")
    invitee.get_by_label("Last name").fill("Hopper")
    invitee.get_by_label("Password").fill(NEW_PASSWORD)
    invitee.get_by_role("button", name="Sign up").click()
    # Signed in at once, and in the first space of the invitation.
    expect(invitee).to_have_url(re.compile(r"/spaces/dev$"))
    expect(invitee.get_by_role("status")).to_contain_text("Welcome to orbit, Grace Hopper.")
    shoot(invitee, "signup-done")

    # "Once they log in, they will be granted the space role and permissions you specified."
    invitee.goto("/")
    expect(invitee.get_by_role("heading", name="Welcome, Grace")).to_be_visible()
    expect(row_of(invitee, "dev")).to_contain_text("Space Developer")
    expect(row_of(invitee, "prod")).to_contain_text("Space Admin")
    shoot(invitee, "home-invitee")
    expect(main_nav(invitee).get_by_text("Administration")).to_have_count(0)

    login = invitee.request.post(
        "/api/accounts/orbit/login",
        data={"email": "grace@orbit.example.com", "password": NEW_PASSWORD},
    )
    assert login.status == 200, login.text()
    me = invitee.request.get(
        "/api/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"}
    )
    assert me.status == 200, me.text()
    profile = me.json()
    assert profile["account_role"] == "Member"
    roles = {s["space_name"]: s["space_role"] for s in profile["spaces"]}
    assert roles == {"dev": "Space Developer", "prod": "Space Admin"}

    # The admin's list now shows her invitation accepted and her as an active user.
    page.reload()
    expect(row_of(page, "grace@orbit.example.com").filter(has_text="accepted")).to_have_count(1)
    expect(row_of(page, "Grace Hopper")).to_contain_text("active")
    expect(row_of(page, "linus@orbit.example.com").filter(has_text="pending")).to_have_count(1)
    shoot(page, "admin-users")

    # (6) The link, once used, no longer works: a clear message, not a form.
    used = new_page()
    response = used.goto(link)
    assert response is not None and response.status == 404
    expect(used.get_by_role("heading", name="This invitation was already accepted")).to_be_visible()
    expect(used.get_by_role("alert")).to_contain_text("Sign in with the email and password")
    expect(used.get_by_role("link", name="Sign in")).to_have_attribute(
        "href", "/login?account=orbit"
    )
    expect(used.get_by_label("Password")).to_have_count(0)
    shoot(used, "signup-link-invalid")


# --- (2) the seed's "Add Existing Users to Your Space", then changing the role -----------


def test_add_existing_users_to_your_space_then_change_the_role(
    new_page: NewPage, live_runtime: Runtime, shoot: Shoot
) -> None:
    admin = named(
        live_runtime, new_account(live_runtime, "nova", "ada@nova.example.com"), "Ada", "Lovelace"
    )
    dev = new_space(live_runtime, admin.account_id, "dev")
    new_space(live_runtime, admin.account_id, "prod")
    space_admin = new_user(live_runtime, admin.account_id, "sam@nova.example.com")
    add_member(live_runtime, dev, space_admin.user_id, "Space Admin")
    new_user(live_runtime, admin.account_id, "grace@nova.example.com")
    new_user(live_runtime, admin.account_id, "linus@nova.example.com")

    # "Torque role: Account admin, space admin": played here by the Space Admin.
    page = new_page()
    sign_in(page, "nova", space_admin.email)
    main_nav(page).get_by_role("link", name="dev").click()
    expect(page.get_by_role("heading", name="dev", exact=True)).to_be_visible()
    shoot(page, "space-overview")

    # 1. In the suitable Torque space, select Settings. 2. Click the Users tab.
    page.get_by_role("navigation", name="Space").get_by_role("link", name="Settings").click()
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Users").click()
    expect(page).to_have_url(re.compile(r"/spaces/dev/settings/users$"))
    expect(row_of(page, "sam@nova.example.com")).to_have_count(1)
    expect(row_of(page, "grace@nova.example.com")).to_have_count(0)

    # 3. Click the Add Users button. 4. Select the Torque user you wish to add.
    page.get_by_role("link", name="Add Users").click()
    expect(page.get_by_role("heading", name="Add Users")).to_be_visible()
    expect(page.get_by_label("Role", exact=True)).to_have_value("Space Member")
    page.get_by_label(re.compile("grace@nova.example.com")).check()
    shoot(page, "space-add-users")

    # 5. Click Done. "By default, new users are assigned the Space Member role."
    page.get_by_role("button", name="Done").click()
    expect(page).to_have_url(re.compile(r"/spaces/dev/settings/users$"))
    expect(page.get_by_role("status")).to_contain_text(
        "Added grace@nova.example.com as Space Member."
    )
    role = page.get_by_label("Space role of grace@nova.example.com")
    expect(role).to_have_value("Space Member")
    expect(row_of(page, "linus@nova.example.com")).to_have_count(0)

    # 6. Change the roles as needed: choose the role, then Save; a role that gives more
    # is asked about first.
    role.select_option("Space Developer")
    # Choosing alone changes nothing: the page is the one the addition left.
    expect(page.get_by_role("status")).to_contain_text("Added grace@nova.example.com")
    page.once("dialog", lambda dialog: dialog.accept())
    row_of(page, "grace@nova.example.com").get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text(
        "grace@nova.example.com is now Space Developer."
    )
    expect(page.get_by_label("Space role of grace@nova.example.com")).to_have_value(
        "Space Developer"
    )
    shoot(page, "space-settings-users")

    # ...and without JavaScript the select and its Save button do it, the server asking.
    plain = new_page(javascript=False)
    sign_in(plain, "nova", space_admin.email)
    plain.goto("/spaces/dev/settings/users")
    plain.get_by_label("Space role of grace@nova.example.com").select_option("Space Admin")
    row_of(plain, "grace@nova.example.com").get_by_role("button", name="Save").click()
    expect(
        plain.get_by_role("heading", name=re.compile("Make grace@nova.example.com Space Admin"))
    ).to_be_visible()
    plain.get_by_role("button", name="Make Space Admin").click()
    expect(plain.get_by_role("status")).to_contain_text(
        "grace@nova.example.com is now Space Admin."
    )
    expect(plain.get_by_label("Space role of grace@nova.example.com")).to_have_value("Space Admin")

    # The overview shows the new role too.
    page.get_by_role("navigation", name="Space").get_by_role("link", name="Overview").click()
    expect(row_of(page, "grace@nova.example.com")).to_contain_text("Space Admin")


# --- (3) a Space Member: no Settings, and 403 when posting to it directly -----------------


def test_space_member_sees_no_settings_and_is_refused_by_the_server(
    new_page: NewPage, live_runtime: Runtime
) -> None:
    admin = new_account(live_runtime, "vega", "ada@vega.example.com")
    dev = new_space(live_runtime, admin.account_id, "dev")
    member = new_user(live_runtime, admin.account_id, "mia@vega.example.com")
    add_member(live_runtime, dev, member.user_id, "Space Member")
    new_user(live_runtime, admin.account_id, "grace@vega.example.com")

    page = new_page()
    sign_in(page, "vega", member.email)
    expect(row_of(page, "dev")).to_contain_text("Space Member")
    main_nav(page).get_by_role("link", name="dev").click()
    tabs = page.get_by_role("navigation", name="Space")
    expect(tabs.get_by_role("link", name="Overview")).to_be_visible()
    expect(tabs.get_by_role("link", name="Settings")).to_have_count(0)
    expect(page.get_by_role("link", name="Add Users")).to_have_count(0)

    # Typing the address does not help...
    response = page.goto("/spaces/dev/settings/users")
    assert response is not None and response.status == 403
    expect(page.get_by_role("alert")).to_contain_text("Manage space users")

    # ...nor does posting the form by hand, with the browser's cookies and a valid CSRF
    # token: the refusal is the permission's, not the CSRF check's.
    answer = page.request.post(
        "/spaces/dev/settings/users/add",
        form={
            "csrf_token": csrf_token(page),
            "emails": "grace@vega.example.com",
            "space_role": "Space Admin",
        },
    )
    assert answer.status == 403, answer.text()
    assert "Manage space users" in answer.text()
    assert CSRF_REFUSAL not in answer.text()
    for action, form in (
        ("role", {"email": "mia@vega.example.com", "space_role": "Space Admin"}),
        ("remove", {"email": "mia@vega.example.com"}),
    ):
        answer = page.request.post(
            f"/spaces/dev/settings/users/{action}", form={"csrf_token": csrf_token(page), **form}
        )
        assert answer.status == 403, (action, answer.text())

    page.goto("/spaces/dev")
    expect(row_of(page, "grace@vega.example.com")).to_have_count(0)
    expect(row_of(page, "mia@vega.example.com")).to_contain_text("Space Member")


# --- (4) a Space Admin: no Administration ----------------------------------------------


def test_space_admin_sees_no_administration(new_page: NewPage, live_runtime: Runtime) -> None:
    admin = new_account(live_runtime, "lyra", "ada@lyra.example.com")
    dev = new_space(live_runtime, admin.account_id, "dev")
    space_admin = new_user(live_runtime, admin.account_id, "sam@lyra.example.com")
    add_member(live_runtime, dev, space_admin.user_id, "Space Admin")

    page = new_page()
    sign_in(page, "lyra", space_admin.email)
    nav = main_nav(page)
    expect(nav.get_by_role("link", name="dev")).to_be_visible()
    expect(nav.get_by_text("Administration")).to_have_count(0)
    expect(nav.get_by_role("link", name="Users")).to_have_count(0)
    expect(nav.get_by_role("link", name="Roles")).to_have_count(0)

    # The Space Admin does get the space's Settings...
    nav.get_by_role("link", name="dev").click()
    expect(
        page.get_by_role("navigation", name="Space").get_by_role("link", name="Settings")
    ).to_be_visible()

    # ...and the server refuses the Administration pages all the same.
    for path in ("/admin/users", "/admin/users/invite"):
        response = page.goto(path)
        assert response is not None and response.status == 403, path
        expect(page.get_by_role("heading", name="You can't do that here")).to_be_visible()
    answer = page.request.post(
        "/admin/users/invite",
        form={"csrf_token": csrf_token(page), "emails": "eve@lyra.example.com"},
    )
    assert answer.status == 403, answer.text()


# --- (5) CSRF ------------------------------------------------------------------------------


def test_posts_without_the_csrf_token_are_refused(new_page: NewPage, live_runtime: Runtime) -> None:
    admin = new_account(live_runtime, "zeta", "ada@zeta.example.com")
    new_space(live_runtime, admin.account_id, "dev")
    new_user(live_runtime, admin.account_id, "grace@zeta.example.com")

    page = new_page()
    sign_in(page, "zeta", admin.email)
    page.goto("/spaces/dev/settings/users")
    add = "/spaces/dev/settings/users/add"
    form = {"emails": "grace@zeta.example.com", "space_role": "Space Member"}
    for refused in (form, {**form, "csrf_token": "forged-" + csrf_token(page)}):
        answer = page.request.post(add, form=refused)
        assert answer.status == 403, answer.text()
        assert CSRF_REFUSAL in answer.text()
    for path, fields in (
        ("/admin/users/invite", {"emails": "eve@zeta.example.com"}),
        ("/admin/users/role", {"email": "ada@zeta.example.com", "account_role": "Member"}),
        ("/logout", {}),
    ):
        answer = page.request.post(path, form=fields)
        assert answer.status == 403, (path, answer.text())
        assert CSRF_REFUSAL in answer.text(), path
    # A sign-in form posted from elsewhere (no token) is refused too.
    stranger = new_page()
    answer = stranger.request.post(
        "/login", form={"account": "zeta", "email": admin.email, "password": PASSWORD}
    )
    assert answer.status == 403, answer.text()

    # Nothing happened: the user is not in the space, the admin is still signed in and
    # still the Account Admin. With the page's own token the same post goes through.
    page.goto("/spaces/dev/settings/users")
    expect(row_of(page, "grace@zeta.example.com")).to_have_count(0)
    answer = page.request.post(add, form={**form, "csrf_token": csrf_token(page)})
    assert answer.status == 200, answer.text()
    page.reload()
    expect(page.get_by_label("Space role of grace@zeta.example.com")).to_have_value("Space Member")
    expect(main_nav(page).get_by_text("Administration")).to_be_visible()


# --- (6) clear messages: a wrong password, an expired link ---------------------------------


def test_a_wrong_password_shows_a_clear_message(
    new_page: NewPage, live_runtime: Runtime, shoot: Shoot
) -> None:
    admin = new_account(live_runtime, "kilo", "ada@kilo.example.com")

    page = new_page()
    page.goto("/login")
    page.get_by_label("Account").fill("kilo")
    page.get_by_label("Email").fill(admin.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("The account, email or password is not correct.")
    expect(page).to_have_url(re.compile(r"/login$"))
    # What was typed stays, except the password.
    expect(page.get_by_label("Account")).to_have_value("kilo")
    expect(page.get_by_label("Email")).to_have_value(admin.email)
    expect(page.get_by_label("Password")).to_have_value("")
    shoot(page, "login-wrong-password")


def test_an_expired_invitation_link_shows_a_clear_message(
    new_page: NewPage,
    live_server: LiveServer,
    live_runtime: Runtime,
    mailbox: SMTPServer,
) -> None:
    admin = new_account(live_runtime, "echo", "ada@echo.example.com")
    page = new_page()
    invited = page.request.post(
        "/api/accounts/invitations",
        data={"emails": ["late@echo.example.com"]},
        headers=admin.headers,
    )
    assert invited.status == 200, invited.text()
    link = signup_link(live_server, mail_to(mailbox, "late@echo.example.com"))
    expire_invitation(live_runtime, admin, "late@echo.example.com")

    response = page.goto(link)
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="This invitation has expired")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Ask the person who invited you to send it")
    expect(page.get_by_label("Password")).to_have_count(0)


def expire_invitation(runtime: Runtime, admin: Person, email: str) -> None:
    with transaction(runtime.sessions) as session:
        session.execute(
            update(Invitation)
            .where(Invitation.account_id == admin.account_id, Invitation.email == email)
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )


# --- the other pages of the console, for the screenshots ----------------------------------


def test_other_console_pages_render(new_page: NewPage, live_runtime: Runtime, shoot: Shoot) -> None:
    """Administration's Roles, Spaces and Audit log and the Profile, where they exist yet:
    each answers a page (or 404 while not built), never a server error."""
    admin = named(
        live_runtime, new_account(live_runtime, "tour", "ada@tour.example.com"), "Ada", "Lovelace"
    )
    new_space(live_runtime, admin.account_id, "dev")
    page = new_page()
    sign_in(page, "tour", admin.email)
    for path, name in (
        ("/admin/roles", "admin-roles"),
        ("/admin/spaces", "admin-spaces"),
        ("/admin/audit", "admin-audit"),
        ("/profile", "profile"),
    ):
        response = page.goto(path)
        assert response is not None and response.status in (200, 404), (path, response.status)
        if response.status == 200:
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            shoot(page, name)


# --- the first run: setup, then the Account Admin signs in ----------------------------------


def test_first_run_setup_then_the_account_admin_signs_in(
    new_page: NewPage, fresh_server: LiveServer, shoot: Shoot
) -> None:
    page = new_page(server=fresh_server)
    # Before any account, the sign-in page says how to start instead.
    page.goto("/login")
    expect(page.get_by_role("heading", name="Set up spacegate")).to_be_visible()
    expect(page.get_by_text("Open the one-time link the server printed")).to_be_visible()

    found = re.search(re.escape(fresh_server.url) + r"/setup\?token=\S+", fresh_server.output())
    assert found is not None, fresh_server.output()
    page.goto(found.group(0))
    page.get_by_label("Account name").fill("acme")
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("Email").fill("ada@acme.example.com")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    shoot(page, "setup")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Account acme is ready")).to_be_visible()

    # The link works once.
    response = page.goto(found.group(0))
    assert response is not None and response.status == 200
    expect(page.get_by_text("Setup is already done")).to_be_visible()

    sign_in(page, "acme", "ada@acme.example.com", NEW_PASSWORD)
    expect(page.get_by_role("heading", name="Welcome, Ada")).to_be_visible()
    expect(main_nav(page).get_by_text("Administration", exact=True)).to_be_visible()
