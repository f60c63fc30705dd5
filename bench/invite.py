"""Benchmark: one request inviting 1,000 addresses, then delivery of their emails.

Standalone script, not a test. Run it from the repository root:

    .venv/bin/python bench/invite.py [--addresses 1000] [--runs 3] [--profile]

Everything is real and on loopback, in a fresh temporary directory:

* a fresh SQLite database (`SPACEGATE_DATA_DIR` in the temp directory);
* an SMTP server (aiosmtpd) in a child process, counting the messages it accepts;
* the server, `spacegate serve` in a subprocess (uvicorn), with
  `SPACEGATE_MAIL_BACKEND=smtp` pointing at that SMTP server and
  `SPACEGATE_MAIL_WORKER=false`, so that delivery is timed on its own.

An account is created with `spacegate accounts create`, its admin signs in and creates
the space `dev`. One warm-up request invites a single address (and its email is
delivered), so lazy imports and first-connection costs are not measured. Then:

1. **Request**: one `POST /api/accounts/invitations` with N addresses into `dev` as
   `Space Developer`, timed from the client (wall clock, JSON encoding to the decoded
   answer). The invitations and their emails are committed when it answers.
2. **Delivery**: one pass of the outbox (`Deliverer.deliver_due`, what the server's
   worker and `spacegate mail deliver` run) in this process, on the server's database
   and installation secret. The rate is the number of messages the SMTP server
   received during the pass over the pass's wall-clock time.

With `--runs R` the whole run (fresh directory, database, servers) is repeated R times
and the median of each figure is reported next to every run's. `--profile` runs the
delivery pass of the last run under cProfile and prints where its time goes.

Targets: the request under 2 s, delivery at least 200 messages/s.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import multiprocessing
import os
import pstats
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import Any

REQUEST_TARGET_SECONDS = 2.0
DELIVERY_TARGET_PER_SECOND = 200.0
ACCOUNT = "bench"
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "bench password, not a common one"
SERVER_START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- the SMTP server (a child process, so it does not share this process's GIL) ----------


def serve_smtp(port: int, received: Synchronized[int], ready: Any) -> None:
    """Child process: an aiosmtpd server on loopback that counts accepted messages."""
    from aiosmtpd.controller import Controller

    class Counter:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            with received.get_lock():
                received.value += 1
            return "250 Message accepted for delivery"

    controller = Controller(Counter(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


# -- HTTP --------------------------------------------------------------------------------


def call(
    base: str, method: str, path: str, body: Any = None, token: str | None = None
) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def wait_for_server(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"spacegate exited early:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(base + "/api/openapi.json", timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"spacegate did not start in {SERVER_START_TIMEOUT:.0f} s:\n{log.read_text()}")


# -- one run -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RunResult:
    request_seconds: float
    invited: int
    failed: int
    delivery_seconds: float
    delivery_cpu_seconds: float  # CPU time of this (the delivering) process during the pass
    received: int

    @property
    def rate(self) -> float:
        return self.received / self.delivery_seconds if self.delivery_seconds else 0.0

    @property
    def cpu_ms_per_message(self) -> float:
        return 1000 * self.delivery_cpu_seconds / self.received if self.received else 0.0


def spacegate_command(*args: str) -> list[str]:
    return [sys.executable, "-c", "from spacegate.cli import main; main()", *args]


def one_run(addresses: int, profile: bool) -> RunResult:
    # Imported here so that the SMTP child process (spawned) does not import spacegate.
    from spacegate.runtime import Runtime
    from spacegate.settings import Settings

    context = multiprocessing.get_context("spawn")
    received: Synchronized[int] = context.Value("i", 0)
    ready = context.Event()
    smtp_port, http_port = free_port(), free_port()
    with tempfile.TemporaryDirectory(prefix="spacegate-bench-") as tmp:
        data_dir = Path(tmp)
        env = {
            **os.environ,
            "SPACEGATE_DATA_DIR": str(data_dir),
            "SPACEGATE_MAIL_BACKEND": "smtp",
            "SPACEGATE_SMTP_HOST": "127.0.0.1",
            "SPACEGATE_SMTP_PORT": str(smtp_port),
            "SPACEGATE_SMTP_SECURITY": "none",
            "SPACEGATE_MAIL_WORKER": "false",
            "SPACEGATE_PUBLIC_URL": f"http://127.0.0.1:{http_port}",
            "SPACEGATE_ADMIN_PASSWORD": ADMIN_PASSWORD,
        }
        for name in ("SPACEGATE_DATABASE_URL", "SPACEGATE_SECRET_KEY"):
            env.pop(name, None)  # a fresh SQLite database and secret in the temp directory
        created = subprocess.run(
            spacegate_command("accounts", "create", ACCOUNT, "--admin-email", ADMIN_EMAIL),
            env=env,
            capture_output=True,
            text=True,
        )
        if created.returncode != 0:
            raise SystemExit(f"spacegate accounts create failed:\n{created.stdout}{created.stderr}")

        smtp = context.Process(target=serve_smtp, args=(smtp_port, received, ready), daemon=True)
        smtp.start()
        log = data_dir / "server.log"
        with log.open("wb") as log_file:
            server = subprocess.Popen(
                spacegate_command("serve", "--host", "127.0.0.1", "--port", str(http_port)),
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        runtime = None
        try:
            if not ready.wait(30):
                raise SystemExit("the SMTP server did not start")
            base = f"http://127.0.0.1:{http_port}"
            wait_for_server(base, server, log)
            status, answer = call(
                base,
                "POST",
                f"/api/accounts/{ACCOUNT}/login",
                {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
            )
            assert status == 200, answer
            token = answer["access_token"]
            status, answer = call(base, "POST", "/api/spaces", {"name": "dev"}, token)
            assert status == 201, answer

            # The deliverer of the server's installation: same database, same secret.
            runtime = Runtime.start(
                Settings(
                    data_dir=data_dir,
                    mail_backend="smtp",
                    smtp_host="127.0.0.1",
                    smtp_port=smtp_port,
                    mail_worker=False,
                ),
                migrate=False,
            )

            warm = {"emails": ["warm-up@example.com"], "space_name": "dev"}
            status, answer = call(base, "POST", "/api/accounts/invitations", warm, token)
            assert status == 200 and answer["invited"] == 1, answer
            assert runtime.mail.deliver_due().sent == 1

            body = {
                "emails": [f"user{i:04d}@example.com" for i in range(addresses)],
                "space_name": "dev",
                "space_role": "Space Developer",
            }
            started = time.perf_counter()
            status, answer = call(base, "POST", "/api/accounts/invitations", body, token)
            request_seconds = time.perf_counter() - started
            assert status == 200, answer

            before = received.value
            profiler = cProfile.Profile() if profile else None
            started, cpu_started = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            report = runtime.mail.deliver_due()
            if profiler:
                profiler.disable()
            delivery_seconds = time.perf_counter() - started
            delivery_cpu = time.process_time() - cpu_started
            got = received.value - before
            if report.sent != got or report.retried or report.failed:
                print(f"warning: delivery report {report} but the server received {got}")
            if profiler:
                print("\ndelivery pass, by cumulative time:")
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
            return RunResult(
                request_seconds,
                answer["invited"],
                answer["failed"],
                delivery_seconds,
                delivery_cpu,
                got,
            )
        finally:
            if runtime is not None:
                runtime.close()
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
            smtp.terminate()
            smtp.join(10)


# -- output ------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--addresses", type=int, default=1000, help="addresses in the request (default: 1000)"
    )
    parser.add_argument("--runs", type=int, default=3, help="independent runs (default: 3)")
    parser.add_argument(
        "--profile", action="store_true", help="profile the last run's delivery pass (cProfile)"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.addresses <= 1000:
        parser.error("--addresses must be between 1 and 1000 (the API's limit)")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; SQLite, SMTP on loopback; "
        f"{args.addresses:,} addresses per request, {args.runs} run(s)"
    )
    print()
    header = f"{'run':>4}  {'load':>5}  {'request (s)':>11}  {'invited':>7}  "
    print(header + f"{'delivery (s)':>12}  {'msg/s':>7}  {'CPU ms/msg':>10}")
    results = []
    for run in range(1, args.runs + 1):
        load = os.getloadavg()[0]  # the machine's other work, which these figures feel
        result = one_run(args.addresses, args.profile and run == args.runs)
        results.append(result)
        print(
            f"{run:>4}  {load:>5.1f}  {result.request_seconds:>11.3f}  {result.invited:>7,}  "
            f"{result.delivery_seconds:>12.3f}  {result.rate:>7.0f}  "
            f"{result.cpu_ms_per_message:>10.2f}"
        )
        if result.invited != args.addresses or result.received != args.addresses:
            print(
                f"ERROR: {result.invited} invited and {result.received} received, "
                f"expected {args.addresses}"
            )
            return 2
    request = statistics.median(r.request_seconds for r in results)
    rate = statistics.median(r.rate for r in results)
    print()
    request_met = request < REQUEST_TARGET_SECONDS
    rate_met = rate >= DELIVERY_TARGET_PER_SECOND
    print(
        f"request: median {request:.3f} s for {args.addresses:,} addresses "
        f"(target < {REQUEST_TARGET_SECONDS:.0f} s): {'met' if request_met else 'NOT met'}"
    )
    print(
        f"delivery: median {rate:.0f} messages/s "
        f"(target >= {DELIVERY_TARGET_PER_SECOND:.0f}/s): {'met' if rate_met else 'NOT met'}"
    )
    print("All targets met." if request_met and rate_met else "Some targets NOT met.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
