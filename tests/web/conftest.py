"""Fixtures of the browser tests (tests/web/test_browser.py): the real server
(`spacegate serve`) in a subprocess on a free loopback port, a real SMTP server that
receives its mail, and Debian's Chromium driven by Playwright.

Every fixture here has a name of its own (`live_server`, `mailbox`, `chromium`,
`browser_page`, ...) so that other tests of this folder, which use the suite's
`client`, `runtime` and `settings`, are not affected by it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from spacegate.runtime import Runtime
from spacegate.settings import Settings
from tests.invitations.support import SMTPServer, free_port
from tests.web.axe import AXE_SCRIPT, NO_AXE, Axe
from tests.web.live import CHROMIUM, NO_CHROMIUM, LiveServer

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
SECRET_KEY = "browser-test-secret"
# Cheap hashing in the server and in the arranging runtime alike.
ARGON2 = {"argon2_time_cost": 1, "argon2_memory_cost_kib": 8}
# The settings the server subprocess gets through its environment.
SERVER_SETTINGS = (
    "local_repositories",
    "data_dir",
    "database_url",
    "secret_key",
    "host",
    "port",
    "public_url",
    "mail_backend",
    "smtp_host",
    "smtp_port",
    "smtp_security",
    "smtp_timeout_seconds",
    "mail_poll_seconds",
    "mail_retry_base_seconds",
    "authz_poll_seconds",
)


def _spacegate_command() -> list[str]:
    """The venv's `spacegate` script, next to the interpreter running the tests."""
    script = Path(sys.executable).with_name("spacegate")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from spacegate.cli import main; main()"]


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"spacegate serve exited ({process.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/api/openapi.json", timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    pytest.fail(f"spacegate serve did not answer within 30 s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def mailbox() -> Iterator[SMTPServer]:
    """A real SMTP server on loopback; the live server sends its mail here."""
    server = SMTPServer(free_port())
    server.start()
    yield server
    server.stop()


@contextmanager
def serve(data_dir: Path, mailbox: SMTPServer) -> Iterator[LiveServer]:
    """Run `spacegate serve` (the venv's command, configured through its SPACEGATE_*
    environment) on a free loopback port, over a SQLite file in `data_dir`, sending
    its mail to `mailbox` with the delivery worker on; stop it afterwards."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = Settings(
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'spacegate.db'}",
        secret_key=SECRET_KEY,
        host="127.0.0.1",
        port=port,
        public_url=url,
        mail_backend="smtp",
        smtp_host="127.0.0.1",
        smtp_port=mailbox.port,
        smtp_security="none",
        smtp_timeout_seconds=5,
        mail_poll_seconds=0.2,
        mail_retry_base_seconds=0,
        authz_poll_seconds=0.05,
        local_repositories=True,  # the tests' origins are git repositories on disk
        **ARGON2,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPACEGATE_")}
    for name in (*SERVER_SETTINGS, *ARGON2):
        env[f"SPACEGATE_{name.upper()}"] = str(getattr(settings, name))
    log = data_dir / "server.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [*_spacegate_command(), "serve"],
            env=env,
            cwd=data_dir,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(url, process, log)
        yield LiveServer(url, settings, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def live_server(
    tmp_path_factory: pytest.TempPathFactory, mailbox: SMTPServer
) -> Iterator[LiveServer]:
    """The server most browser tests share; each test arranges an account of its own.

    The browser tests always get their own SQLite file, even when the suite runs on
    PostgreSQL (SPACEGATE_TEST_DATABASE_URL): the rest of the suite empties that
    database before each of its tests, which would pull the data from under this
    long-lived server (and this server's writes would leak into those tests).
    """
    with serve(tmp_path_factory.mktemp("browser-server"), mailbox) as server:
        yield server


@pytest.fixture
def fresh_server(tmp_path: Path, mailbox: SMTPServer) -> Iterator[LiveServer]:
    """A server of the test's own, over an empty database (for the first-run setup)."""
    with serve(tmp_path, mailbox) as server:
        yield server


@pytest.fixture(scope="module")
def live_runtime(live_server: LiveServer) -> Iterator[Runtime]:
    """A runtime of this process over the live server's database, to arrange accounts,
    users and spaces with tests/factories.py. Its writes bump the account's grants
    version, which the server polls, so the server sees them at once."""
    runtime = Runtime.start(live_server.settings, migrate=False)
    yield runtime
    runtime.close()


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.skip(NO_CHROMIUM)
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def chromium(playwright_driver: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless. Never `playwright install`: no browser downloads."""
    browser = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def new_page(chromium: Browser, live_server: LiveServer) -> Iterator[Callable[..., Page]]:
    """`new_page()`: a page in a fresh browser profile (no cookies), pointed at the live
    server: one per person of a test; `new_page(javascript=False)` for one without
    JavaScript, `new_page(server=...)` for another server, `new_page(width=390)` for a
    phone. All are closed when the test ends."""
    contexts: list[BrowserContext] = []

    def open_page(
        *, javascript: bool = True, server: LiveServer | None = None, width: int = 1280
    ) -> Page:
        phone = width < 600
        context = chromium.new_context(
            base_url=(server or live_server).url,
            viewport={"width": width, "height": 844 if phone else 800},
            java_script_enabled=javascript,
            is_mobile=phone,
            has_touch=phone,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def shoot() -> Callable[[Page, str], Path]:
    """`shoot(page, name)`: a full-page screenshot of `page` saved as
    test-artifacts/screenshots/<name>.png (git-ignored; see docs/screenshots/ for the
    ones kept for the README)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture(scope="session")
def axe() -> Iterator[Axe]:
    """axe-core, to check pages; skips (saying how to install it) where it is missing."""
    if not AXE_SCRIPT.exists():
        pytest.skip(NO_AXE)
    checker = Axe(AXE_SCRIPT.read_text())
    yield checker
    checker.write_report()
