"""The `spacegate` command: serve, migrate, and manage accounts from a shell.

Every command migrates the database first and runs in one transaction, through the
same services as the API.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.table import Table

from spacegate.accounts import service as accounts
from spacegate.db import transaction
from spacegate.errors import DomainError
from spacegate.runtime import Runtime
from spacegate.settings import Settings

app = typer.Typer(
    help="spacegate: roles and permissions for environment-as-a-service platforms.",
    no_args_is_help=True,
)
accounts_app = typer.Typer(help="Accounts (tenants) of this installation.", no_args_is_help=True)
app.add_typer(accounts_app, name="accounts")
mail_app = typer.Typer(help="Outgoing email (the outbox).", no_args_is_help=True)
app.add_typer(mail_app, name="mail")
console = Console()


def _runtime() -> Runtime:
    return Runtime.start(Settings())


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default: SPACEGATE_HOST).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: SPACEGATE_PORT).")] = None,
    ssl_certfile: Annotated[
        str | None, typer.Option(help="Serve HTTPS with this certificate.")
    ] = None,
    ssl_keyfile: Annotated[str | None, typer.Option(help="The certificate's private key.")] = None,
) -> None:
    """Migrate the database and serve the API and console."""
    from spacegate.app import create_app

    overrides: dict[str, object] = {}
    if host:
        overrides["host"] = host
    if port:
        overrides["port"] = port
    settings = Settings(**overrides)  # type: ignore[arg-type]
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
        log_level="info",
    )


@app.command()
def migrate() -> None:
    """Bring the database to the newest schema (every command does this first)."""
    _runtime().close()
    console.print("The database is up to date.")


@accounts_app.command("create")
def create_account(
    name: Annotated[str, typer.Argument(help="The account's name (used in sign-in URLs).")],
    admin_email: Annotated[
        str, typer.Option("--admin-email", help="Email of its first Account Admin.")
    ],
    first_name: Annotated[str, typer.Option(help="The admin's first name.")] = "",
    last_name: Annotated[str, typer.Option(help="The admin's last name.")] = "",
) -> None:
    """Create an account and its first Account Admin. The password comes from
    SPACEGATE_ADMIN_PASSWORD, or is asked for."""
    password = os.environ.get("SPACEGATE_ADMIN_PASSWORD") or typer.prompt(
        "Password for the Account Admin", hide_input=True, confirmation_prompt=True
    )
    runtime = _runtime()
    try:
        with transaction(runtime.sessions) as session:
            account, admin = accounts.create_account(
                session,
                runtime.passwords,
                name=name,
                admin_email=admin_email,
                admin_password=password,
                first_name=first_name,
                last_name=last_name,
                via="cli",
            )
    except DomainError as error:
        console.print(f"[red]{error.message}[/red]")
        raise typer.Exit(code=1) from None
    finally:
        runtime.close()
    base = runtime.settings.base_url()
    console.print(f"Created account [bold]{account.name}[/bold] with Account Admin {admin.email}.")
    console.print(f"Sign in: POST {base}/api/accounts/{account.name}/login")


@accounts_app.command("list")
def list_accounts() -> None:
    """The accounts of this installation, with their user counts."""
    runtime = _runtime()
    try:
        with transaction(runtime.sessions, write=False) as session:
            summaries = accounts.account_summaries(session)
    finally:
        runtime.close()
    table = Table("Account", "Created", "Users")
    for summary in summaries:
        table.add_row(
            summary.name, summary.created_at.strftime("%Y-%m-%d %H:%M"), str(summary.users)
        )
    console.print(table)


@mail_app.command("deliver")
def deliver_mail() -> None:
    """Deliver every due message of the outbox once (the server's worker does this
    continuously), and say what happened."""
    runtime = _runtime()
    try:
        report = runtime.mail.deliver_due()
    finally:
        runtime.close()
    console.print(f"Sent {report.sent}, will retry {report.retried}, gave up on {report.failed}.")
    if report.retried or report.failed:
        raise typer.Exit(code=1)


def main() -> None:
    app()
