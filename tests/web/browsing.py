"""What the browser walk-throughs share: signing in, naming an arranged user, and the
check that a page does not scroll sideways."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from spacegate.db import transaction
from spacegate.runtime import Runtime
from spacegate.users.models import User
from tests.factories import PASSWORD, Person

if TYPE_CHECKING:
    from playwright.sync_api import Page

PHONE = 390

NewPage = Callable[..., "Page"]
"""The `new_page` fixture: a fresh page on the live server (`width=` for a phone)."""
Shoot = Callable[["Page", str], Path]
"""The `shoot` fixture: a full-page screenshot saved under a name."""


def sign_in(page: Page, account: str, email: str) -> None:
    """Through the sign-in form, as the arranged users' password; lands on Home."""
    page.goto(f"/login?account={account}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))


def named(runtime: Runtime, person: Person, first: str, last: str) -> Person:
    """Give an arranged user a name (the factories name only the users they add)."""
    with transaction(runtime.sessions) as session:
        user = session.get(User, person.user_id)
        assert user is not None
        user.first_name, user.last_name = first, last
    return person


def fits(page: Page) -> None:
    """The page does not scroll sideways: the document is no wider than the screen (the
    viewport as set, not `innerWidth`, which a phone widens to zoom out on a wide page)."""
    screen = page.viewport_size
    assert screen is not None
    # A click that navigates returns before the next document exists; measure a loaded one.
    page.wait_for_load_state("load")
    width, path = page.evaluate(
        "() => [Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),"
        " location.pathname]"
    )
    assert width <= screen["width"], f"{path} is {width} px wide on a {screen['width']} px screen"
