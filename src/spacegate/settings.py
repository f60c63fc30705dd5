"""All configuration, read once from the environment (prefix `SPACEGATE_`)."""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from spacegate.names import domain_key

SECRET_KEY_FILE = "secret_key"


class Settings(BaseSettings):
    """spacegate's settings. Created by the app factory or the CLI, never at import."""

    model_config = SettingsConfigDict(env_prefix="SPACEGATE_", extra="ignore")

    data_dir: Path = Field(
        Path("./data"), description="Where the SQLite file and the generated secret live."
    )
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default: SQLite file `spacegate.db` in the data dir."
    )
    secret_key: str | None = Field(
        None, description="Installation secret; generated and kept in the data dir when not given."
    )
    host: str = Field("127.0.0.1", description="Address `spacegate serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `spacegate serve` listens on.")
    public_url: str | None = Field(None, description="Base of links in emails and printed URLs.")

    access_token_minutes: int = Field(15, ge=1, description="Lifetime of a login access token.")
    refresh_token_days: int = Field(30, ge=1, description="Lifetime of a refresh token.")
    console_session_hours: int = Field(12, ge=1, description="Lifetime of a console sign-in.")
    api_token_max_days: int | None = Field(
        None, ge=1, description="Upper bound on long-lived API token lifetimes (none: no bound)."
    )

    login_max_failures_per_email: int = Field(
        5,
        ge=1,
        description="Failed sign-ins per account + email from one client address before "
        "each further attempt from there waits (60 s, doubling, at most the window; 429).",
    )
    login_max_failures_per_email_all_clients: int = Field(
        100,
        ge=1,
        description="Failed sign-ins per account + email from all addresses together "
        "within the window before 429 (against guessing from many addresses).",
    )
    login_max_failures_per_client: int = Field(
        20, ge=1, description="Failed sign-ins per client address within the window before 429."
    )
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="Addresses of reverse proxies whose X-Forwarded-For and "
        "X-Forwarded-Proto headers `spacegate serve` believes, comma-separated (uvicorn's "
        "`forwarded_allow_ips`, e.g. `10.0.0.5,10.0.0.6`, or `*` behind a proxy that is "
        "the only way in). By default none: the client address is the connection's peer.",
    )
    login_failure_window_seconds: int = Field(
        900, ge=1, description="The sliding window of the sign-in limits."
    )

    argon2_time_cost: int = Field(3, ge=1, description="argon2id iterations for password hashes.")
    argon2_memory_cost_kib: int = Field(
        65536, ge=8, description="argon2id memory per hash, in KiB."
    )

    password_reset_minutes: int = Field(
        60, ge=5, le=1440, description="How long a password reset link works (it works once)."
    )
    invitation_expiry_days: int = Field(
        7, ge=1, le=365, description="How long an invitation link works."
    )

    refused_email_domains: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="Email domains refused, each with its subdomains, wherever an address "
        "is given (users, invitations, sign-up, sign-in, the decision API, space members); "
        "comma-separated, e.g. `gmail.com,corp.example`. By default every syntactically "
        "valid address is accepted, internal domains such as `corp.local` included.",
    )

    mail_backend: Literal["console", "smtp"] = Field(
        "console", description="`console` prints messages to the log; `smtp` sends them."
    )
    mail_from: str = Field("spacegate <no-reply@localhost>", description="The From header.")
    smtp_host: str = Field("127.0.0.1", description="SMTP server host.")
    smtp_port: int = Field(25, ge=1, le=65535, description="SMTP server port.")
    smtp_security: Literal["none", "starttls", "tls"] = Field(
        "none", description="`starttls` upgrades a plain connection; `tls` connects over TLS."
    )
    smtp_username: str | None = Field(None, description="SMTP login, when the server needs one.")
    smtp_password: str | None = Field(None, description="SMTP password.")
    smtp_timeout_seconds: float = Field(10, gt=0, description="SMTP connection timeout.")
    mail_poll_seconds: float = Field(
        1.0, gt=0, description="How often the worker looks for due mail."
    )
    mail_retry_base_seconds: float = Field(
        10, ge=0, description="First retry delay; doubles on each failure."
    )
    mail_retry_max_seconds: float = Field(3600, ge=0, description="Longest delay between retries.")
    mail_max_attempts: int = Field(12, ge=1, description="Attempts before a message is given up.")
    mail_worker: bool = Field(True, description="Run the delivery worker inside the server.")

    authz_poll_seconds: float = Field(
        0.5,
        gt=0,
        description="How often the version poll looks for grant changes of other processes "
        "(the safety net under PostgreSQL's notifications; on SQLite, the way they arrive).",
    )
    setup_token: str | None = Field(
        None,
        description="The first-run setup link's token. `spacegate serve --workers N` sets it "
        "so that every worker accepts the one link printed; leave it unset otherwise.",
    )
    worker_election: bool = Field(
        True,
        description="Run the mail and environment workers only in the one server process "
        "elected through the database (PostgreSQL advisory lock; on SQLite a file lock in "
        "the data dir); off: every process runs its own.",
    )
    max_request_body_bytes: int = Field(
        1024 * 1024,
        ge=1024,
        description="Largest request body, in bytes (larger bodies are answered 413 before "
        "they are read); the cost-records import and space policies allow more.",
    )
    access_log: bool = Field(
        True, description="Log every request (written by a background thread, off the hot path)."
    )
    token_use_flush_seconds: float = Field(
        5.0, gt=0, description="How often API tokens' last use is written to the database."
    )

    local_repositories: bool = Field(
        False,
        description="Allow blueprint repositories at file:// URLs and local paths, read "
        "from this server's disk (mirrors, tests). Off by default: a space admin could "
        "otherwise read any git repository the server can see.",
    )
    outbound_allowed_networks: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="Networks that repository URLs and cluster API servers may point to "
        "although they are not public (loopback, private, link-local, ...), "
        "comma-separated CIDRs such as `10.20.0.0/16,192.168.7.5/32`. By default only "
        "global unicast addresses are reached, so that a URL cannot reach the metadata "
        "service, the server's own ports or the network behind it.",
    )
    git_fetch_deadline_seconds: float = Field(
        120,
        gt=0,
        le=3600,
        description="Longest a repository fetch (a sync, or a grain's source at launch) "
        "may take in all; a slower remote fails the sync.",
    )

    environment_worker: bool = Field(
        True,
        description="Run the environment worker inside the server: launches, ends, and "
        "the ending of environments at their scheduled time.",
    )
    environment_workers: int = Field(
        4, ge=1, le=64, description="How many launches and ends run at the same time."
    )
    environment_poll_seconds: float = Field(
        5.0, gt=0, description="How often the worker looks for due work (ends at their time)."
    )
    environment_lease_seconds: float = Field(
        3600,
        gt=0,
        description="A launch or end claimed by a worker that stopped is taken up again "
        "after this long.",
    )
    environment_default_duration_minutes: int = Field(
        120, ge=1, description="The duration of a sandbox launched without one."
    )
    executor: Literal["auto", "local"] = Field(
        "auto",
        description="`auto`: `kind: terraform` grains run with terraform when the binary is "
        "on PATH, every other grain with the local executor; `local`: every grain with the "
        "local executor (records resources, calls nothing outside).",
    )
    terraform_binary: str = Field("terraform", description="The terraform command to run.")
    terraform_timeout_seconds: float = Field(
        1800, gt=0, description="Longest a terraform command may run before it is stopped."
    )
    policy_timeout_seconds: float = Field(
        2.0,
        gt=0,
        le=60,
        description="Longest one space policy may run (at a launch, an extension, or on a "
        "sample input when saved); past it the policy refuses, naming itself.",
    )
    policy_memory_mib: int = Field(
        512,
        ge=128,
        le=65536,
        description="Memory bound of the worker processes that evaluate space policies "
        "(their address space, in MiB); a policy that needs more refuses.",
    )
    policy_workers: int = Field(
        2, ge=1, le=32, description="Worker processes that evaluate space policies."
    )
    sso_clock_skew_seconds: int = Field(
        60,
        ge=0,
        le=600,
        description="Clock difference allowed with identity providers when checking the "
        "times of ID tokens and SAML assertions.",
    )
    sso_timeout_seconds: float = Field(
        10,
        gt=0,
        le=120,
        description="Longest wait for an identity provider (OIDC discovery, keys, token "
        "endpoint; SAML metadata URL).",
    )
    sso_sign_in_minutes: int = Field(
        10,
        ge=1,
        le=60,
        description="How long a started single sign-on may take before it must start again.",
    )
    cost_currency: str = Field(
        "USD",
        pattern=r"^[A-Z]{3}$",
        description="Currency of cost estimates (grains' `cost_per_hour`).",
    )

    @field_validator("refused_email_domains", mode="before")
    @classmethod
    def _domain_keys(cls, value: Any) -> Any:
        """Comma-separated (from the environment) or a sequence; each domain in the
        ASCII form addresses are compared in."""
        if isinstance(value, str):
            value = value.split(",")
        if isinstance(value, list | tuple):
            return tuple(domain_key(domain) for domain in value if str(domain).strip())
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxies(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.split(",")
        if isinstance(value, list | tuple):
            return tuple(str(item).strip() for item in value if str(item).strip())
        return value

    @field_validator("outbound_allowed_networks", mode="before")
    @classmethod
    def _networks(cls, value: Any) -> Any:
        """Comma-separated (from the environment) or a sequence of CIDRs."""
        if isinstance(value, str):
            value = value.split(",")
        if isinstance(value, list | tuple):
            networks = []
            for network in value:
                text = str(network).strip()
                if not text:
                    continue
                try:
                    networks.append(str(ipaddress.ip_network(text, strict=False)))
                except ValueError:
                    raise ValueError(f"'{text}' is not a network such as 10.0.0.0/8") from None
            return tuple(networks)
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'spacegate.db').resolve()}"

    def resolved_secret_key(self) -> str:
        """The installation secret: given, or read from (or first written to) the data dir."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / SECRET_KEY_FILE
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        # Created 0600 (never readable by others, not even for a moment).
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(key + "\n")
        return key

    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")
