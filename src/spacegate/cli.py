"""The `spacegate` command: serve, migrate, and manage accounts from a shell.

Every command migrates the database first and runs in one transaction, through the
same services as the API.
"""

from __future__ import annotations

import os
import secrets
import shutil
from typing import Annotated, Any

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
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Worker processes (each a full server).")
    ] = 1,
) -> None:
    """Migrate the database and serve the API and console."""
    # Each worker process builds its app from the environment (`create_app` as a factory),
    # so the command line's choices travel there.
    if host:
        os.environ["SPACEGATE_HOST"] = host
    if port:
        os.environ["SPACEGATE_PORT"] = str(port)
    settings = Settings()
    if workers > 1 and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        # The workers write their metrics to files here, so that whichever of them
        # answers /metrics answers for all (prometheus-client's multiprocess mode).
        metrics_dir = settings.data_dir / "metrics"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    if workers > 1:
        # One first-run link for all the workers (a request may reach any of them).
        os.environ.setdefault("SPACEGATE_SETUP_TOKEN", secrets.token_urlsafe(32))
    _runtime().close()  # migrate once, before the workers start
    uvicorn.run(
        "spacegate.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
        log_level="info",
        access_log=False,  # spacegate writes its own, off the request's path
        **proxy_options(settings),
        # A worker answers its supervisor only once started (imports, migrations check,
        # first poll); on a busy machine that takes longer than uvicorn's 5 s default.
        timeout_worker_healthcheck=60,
    )


def proxy_options(settings: Settings) -> dict[str, Any]:
    """Whose forwarded headers uvicorn believes: the proxies in SPACEGATE_TRUSTED_PROXIES,
    and no one by default (uvicorn alone would believe 127.0.0.1, and with it anything
    on the machine that can reach the port)."""
    if not settings.trusted_proxies:
        return {"proxy_headers": False, "forwarded_allow_ips": ""}
    return {"proxy_headers": True, "forwarded_allow_ips": ",".join(settings.trusted_proxies)}


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
                refused_domains=runtime.settings.refused_email_domains,
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
