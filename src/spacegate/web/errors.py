"""How a console page shows an error: sign-in for 401, a page with the sentence otherwise."""

from __future__ import annotations

from fastapi import Request, Response

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
    return render(
        request,
        "error.html",
        {"title": title, "message": message, "status": status},
        status_code=status,
    )
