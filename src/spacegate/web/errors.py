"""How a console page shows an error: sign-in for 401; otherwise a page with the
sentence, inside the console's layout (menu, user) when the visitor is signed in."""

from __future__ import annotations

from fastapi import Request, Response

from spacegate.access.guard import SESSION_COOKIE
from spacegate.auth.models import COOKIE_KINDS
from spacegate.db import transaction
from spacegate.errors import DomainError
from spacegate.grants.context import Access
from spacegate.web.console import Console
from spacegate.web.templating import login_redirect, render

TITLES = {
    403: "You can't do that here",
    404: "Not found",
    409: "That can't be done",
    422: "Please check what you entered",
    429: "Too many attempts",
}


def render_error(request: Request, status: int, name: str, message: str) -> Response:
    if status == 401:
        return login_redirect(request)
    title = TITLES.get(status, "Something went wrong")
    context = {"title": title, "message": message, "status": status}
    runtime = getattr(request.app.state, "runtime", None)
    cookie = request.cookies.get(SESSION_COOKIE)
    if runtime is not None and cookie and status != 500:
        try:
            # A fresh, read-only unit of work: the request's own was rolled back.
            with transaction(runtime.sessions, write=False) as session:
                caller = runtime.callers.authenticate_sync(
                    cookie, COOKIE_KINDS, request.client.host if request.client else None
                )
                access = Access(caller, runtime.authz.get(session, caller.account_id))
                return Console.of(session, access).page(
                    request, "error.html", context, status_code=status
                )
        except DomainError:
            pass  # signed out meanwhile: the plain page
    return render(request, "error.html", context, status_code=status)
