"""What the two kinds of resources of Administration > Cloud Accounts share: cloud
accounts (`admin_cloudaccounts`) and Kubernetes compute services
(`admin_computeservices`) are listed on one page, allowed in spaces the same way, and
deleted after the same confirmation step."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Form, Path, Request, Response
from sqlalchemy.orm import Session

from spacegate.cloudaccounts import service
from spacegate.cloudaccounts.resources import ResourceKind
from spacegate.errors import Conflict, DomainError
from spacegate.grants.context import Access
from spacegate.spaces import service as spaces_service
from spacegate.spaces.models import Space
from spacegate.web.console import page
from spacegate.web.forms import back_to, submit
from spacegate.web.templating import redirect

PathName = Annotated[str, Path(max_length=200)]
NameField = Annotated[str, Form(max_length=200)]
SpacesField = Annotated[list[str], Form(max_length=1000)]

NAV = "cloudaccounts"
LIST_URL = "/admin/cloudaccounts"
K8S_URL = "/admin/cloudaccounts/kubernetes"
MAX_FIELD = 20_000  # longer than any credential the service accepts (it says so itself)


def account_spaces(session: Session, account_id: int) -> list[Space]:
    """Every space of the account: a resource may be allowed in any of them."""
    return spaces_service.account_spaces(session, account_id)


def resource_url(base: str, name: str) -> str:
    """The page of the resource `name`, under `base` (LIST_URL or K8S_URL)."""
    return f"{base}/{quote(name, safe='')}"


def unnamed_field(error: DomainError) -> str:
    """Where a refusal that names no field is shown: a conflict (the name is taken, the
    resource is in use) at the name, anything else above the form."""
    return "name" if isinstance(error, Conflict) else "form"


def resource_page(
    request: Request,
    access: Access,
    session: Session,
    template: str,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    """A page of the Cloud Accounts tab, with the account's spaces to allow."""
    return page(
        request,
        session,
        access,
        template,
        status_code=status_code,
        nav=NAV,
        all_spaces=account_spaces(session, access.caller.account_id),
        **context,
    )


def added(what: str, name: str, spaces: list[str]) -> Response:
    where = ", ".join(spaces) or "no space yet"
    return redirect(LIST_URL, flash=f"Added the {what} {name} (allowed in {where}).")


def confirm_deletion(
    request: Request,
    access: Access,
    session: Session,
    kind: ResourceKind[Any],
    base: str,
    name: str,
) -> Response:
    """Asks to confirm deleting the resource of `kind` named `name` (404 for none), whose
    pages are under `base`."""
    view = service.get_resource(session, kind, access.caller.account_id, name)
    return page(
        request,
        session,
        access,
        "admin_resource_delete.html",
        nav=NAV,
        what=kind.noun,
        target=view.item.name,
        spaces=view.spaces,
        action=f"{resource_url(base, view.item.name)}/delete",
    )


def delete(access: Access, session: Session, kind: ResourceKind[Any], name: str) -> Response:
    """Deletes the resource of `kind` named `name` and goes back to the list; a refusal
    (a live environment uses it) is shown there."""
    view = service.get_resource(session, kind, access.caller.account_id, name)
    done = submit(
        session,
        lambda: service.delete_resource(session, access, kind, name),
        back_to(LIST_URL),
    )
    if isinstance(done, Response):
        return done
    return redirect(LIST_URL, flash=f"Deleted the {kind.noun} {view.item.name}.")
