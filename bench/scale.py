"""Benchmark: one account of 100,000 users, 10,000 spaces and 520,000 space grants.

Standalone script, not a test; it needs the machine's PostgreSQL. Run it from the
repository root:

    .venv/bin/python bench/scale.py [--users 100000] [--spaces 10000] [--changes 100]
                                    [--propagation 1000]

What it does, all real and on loopback:

1. Creates the database `spacegate_scale` afresh, migrates it, creates the account `big`
   with `spacegate accounts create`, then seeds it with SQL (`generate_series`): the
   users (5 Account Admins, the rest Account Members), the spaces, and each user's space
   grants (5 spaces each, 6 for every fifth user: 520,000 at the default sizes), with the
   three built-in space roles in turn.
2. Starts `spacegate serve` (server A) and takes a long-lived API token of an Account
   Admin. Reports:
   - **cold load**: the load of the whole account's index, as the server times it
     (`spacegate_index_load_seconds`), and the time of the first requests to a fresh
     server (sign-in, token, first decision), which trigger it;
   - **index memory**: the server's resident memory before those first requests and
     after them;
   - **steady p50/p99**: 2,000 sequential decisions on random (user, space) pairs over
     one keep-alive connection;
   - **after a change**: for each of `--changes` grant changes through the API (a random
     user's role in one of their spaces), the latency of the decision sent right after
     the change answered, and whether it already saw the change;
   - **first pages**: for each list route, the latency of its first page (50 requests
     each, p50/p95, after the route's first use, which is reported on its own), and how
     many items the page held.
3. Starts a second server (B) on the same database; both serve a background decision
   load (wrk, 8 connections each); `--propagation` changes are made through A, and for
   each the time from A's answer until B's decisions show it (B polled over a keep-alive
   connection): p50/p99/max.

Targets (issue "The decision path at full speed"): cold load <= 1 s; index <= 150 MB; the
decision right after a change within the steady p99; each list's first page p95 <= 50 ms;
propagation p99 <= 100 ms.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on the path; `bench/http.py` there
# would hide the standard library's `http` package.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    del sys.path[0]

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "spacegate_scale"
DATABASE_URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{DATABASE}"
ACCOUNT = "big"
ADMIN_EMAIL = "owner@big.example"
ADMIN_PASSWORD = "scale bench password, not a common one"
SPACE_ROLES = ("Space Admin", "Space Developer", "Space Member")


@dataclass(frozen=True)
class Sizes:
    users: int
    spaces: int


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Client:
    """One keep-alive connection to a server, with the admin's token."""

    def __init__(self, port: int, token: str = "") -> None:
        self.port = port
        self.token = token
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def call(self, method: str, path: str, body: object = None) -> tuple[int, Any, float]:
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        payload = json.dumps(body) if body is not None else None
        start = time.perf_counter()
        try:
            self.conn.request(method, path, payload, headers)
            response = self.conn.getresponse()
        except (ConnectionError, http.client.HTTPException):
            # The server closed an idle keep-alive connection: open a new one.
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            start = time.perf_counter()
            self.conn.request(method, path, payload, headers)
            response = self.conn.getresponse()
        data = response.read()
        elapsed = time.perf_counter() - start
        return response.status, (json.loads(data) if data else None), elapsed

    def check(self, user: int, space: int, permission: str = "PUBLISH_BLUEPRINTS") -> bool:
        status, body, _ = self.call(
            "POST",
            "/api/authz/check",
            {"email": email(user), "permission": permission, "space_name": space_name(space)},
        )
        assert status == 200, body
        return bool(body["allowed"])


def email(user: int) -> str:
    return f"user{user}@big.example"


def space_name(space: int) -> str:
    return f"space-{space}"


def grants_of(user: int, sizes: Sizes) -> dict[int, str]:
    """The seeded grants of user number `user` (1-based): space number -> role, as the
    seeding SQL computes them."""
    count = 6 if user % 5 == 0 else 5
    return {
        (user * 37 + k * 1999) % sizes.spaces + 1: SPACE_ROLES[(user + k) % 3] for k in range(count)
    }


def create_database() -> None:
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE}")


def seed(env: dict[str, str], sizes: Sizes) -> int:
    """The account through the CLI, the bulk with SQL; answers the number of grants."""
    subprocess.run(
        [str(BIN / "spacegate"), "accounts", "create", ACCOUNT, "--admin-email", ADMIN_EMAIL],
        env={**env, "SPACEGATE_ADMIN_PASSWORD": ADMIN_PASSWORD},
        check=True,
        capture_output=True,
    )
    url = DATABASE_URL.replace("+psycopg", "")
    with psycopg.connect(url) as conn:
        account = conn.execute("SELECT id FROM accounts WHERE name_key = %s", (ACCOUNT,)).fetchone()
        assert account is not None
        params = {"a": account[0], "users": sizes.users, "spaces": sizes.spaces}
        conn.execute(
            """INSERT INTO users (account_id, email, email_key, first_name, last_name,
                                  account_role, status, created_at)
               SELECT %(a)s, 'user' || g || '@big.example', 'user' || g || '@big.example',
                      'User', g::text, CASE WHEN g <= 5 THEN 'Admin' ELSE 'Member' END,
                      'active', now()
               FROM generate_series(1, %(users)s) g""",
            params,
        )
        conn.execute(
            """INSERT INTO spaces (account_id, name, name_key, color, icon, created_at)
               SELECT %(a)s, 'space-' || g, 'space-' || g, 'blue', 'space', now()
               FROM generate_series(1, %(spaces)s) g""",
            params,
        )
        conn.execute(
            """INSERT INTO space_memberships (space_id, user_id, role, created_at)
               SELECT s.id, u.id,
                      (ARRAY['Space Admin', 'Space Developer', 'Space Member'])[1 + (g + k) %% 3],
                      now()
               FROM generate_series(1, %(users)s) g
               CROSS JOIN generate_series(0, 5) k
               JOIN users u ON u.account_id = %(a)s AND u.email_key = 'user' || g || '@big.example'
               JOIN spaces s ON s.account_id = %(a)s
                            AND s.name_key = 'space-' || ((g * 37 + k * 1999) %% %(spaces)s + 1)
               WHERE k < 5 OR g %% 5 = 0""",
            params,
        )
        count = conn.execute("SELECT count(*) FROM space_memberships").fetchone()
        conn.execute("ANALYZE")
    return int(count[0]) if count else 0


@contextmanager
def server(env: dict[str, str], port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with open(log, "w") as output:
        process = subprocess.Popen(
            [str(BIN / "spacegate"), "serve", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                Client(port).call("GET", "/healthz")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"server did not start; see {log}") from None
                time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def metric(client: Client, name: str) -> float:
    status, _, _ = client.call("GET", "/healthz")
    assert status == 200
    client.conn.request("GET", "/metrics")
    text = client.conn.getresponse().read().decode()
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return float("nan")


def api_token(port: int) -> str:
    client = Client(port)
    status, body, _ = client.call(
        "POST", f"/api/accounts/{ACCOUNT}/login", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    assert status == 200, body
    client.token = body["access_token"]
    status, body, _ = client.call("POST", "/api/token/longtoken", {"name": "scale"})
    assert status == 201, body
    return str(body["access_token"])


def change_one(client: Client, rng: random.Random, sizes: Sizes) -> tuple[int, int, bool]:
    """Give a random user a new role in one of their spaces; answers (user, space,
    whether the user may now publish there)."""
    user = rng.randint(6, sizes.users)  # not one of the seeded admins
    grants = grants_of(user, sizes)
    space = rng.choice(sorted(grants))
    role = rng.choice(SPACE_ROLES)
    status, body, _ = client.call(
        "PUT",
        f"/api/spaces/{space_name(space)}/users/{email(user)}/space_role?value="
        + role.replace(" ", "%20"),
    )
    assert status == 200, body
    return user, space, role == "Space Admin"


LIST_ROUTES = (
    "/api/spaces",
    "/api/accounts/users",
    "/api/spaces/space-1/users",
    "/api/accounts/invitations",
    "/api/audit",
    "/api/settings/roles",
    "/api/settings/tags",
    "/api/tokens",
    "/api/settings/cloudaccounts",
    "/api/spaces/space-1/environments",
    "/api/spaces/space-1/repositories",
    "/api/spaces/space-1/catalog",
    "/api/spaces/space-1/policies",
    "/api/authz/lookup/spaces?email=user37@big.example&permission=VIEW_SPACE",
    "/api/authz/lookup/users?space_name=space-1&permission=VIEW_SPACE",
)


def measure_one_server(env: dict[str, str], sizes: Sizes, args: argparse.Namespace) -> str:
    port = free_port()
    with server(env, port, Path(env["SPACEGATE_DATA_DIR"]) / "a.log") as process:
        # Measured from a server that has answered nothing for the account: its first
        # authenticated requests (sign-in, the token) load the account's index.
        before = rss_mb(process.pid)
        start = time.perf_counter()
        token = api_token(port)
        client = Client(port, token)
        client.check(1, 1)
        cold = time.perf_counter() - start
        after = rss_mb(process.pid)
        load_sum = metric(client, "spacegate_index_load_seconds_sum")
        loads = metric(client, "spacegate_index_loads_total")
        rng = random.Random(7)
        steady: list[float] = []
        for _ in range(2000):
            user, space = rng.randint(1, sizes.users), rng.randint(1, sizes.spaces)
            status, _, elapsed = client.call(
                "POST",
                "/api/authz/check",
                {"email": email(user), "permission": "VIEW_SPACE", "space_name": space_name(space)},
            )
            assert status == 200
            steady.append(elapsed * 1000)
        after_change: list[float] = []
        stale = 0
        for _ in range(args.changes):
            user, space, publisher = change_one(client, rng, sizes)
            start = time.perf_counter()
            allowed = client.check(user, space)
            after_change.append((time.perf_counter() - start) * 1000)
            stale += allowed != publisher
        lines = [
            f"| cold load: the account's index, loaded in full ({loads:.0f} load) | "
            f"{load_sum:.2f} s |",
            f"| cold start: sign-in, token and first decision on a fresh server | {cold:.2f} s |",
            f"| index memory (server RSS growth) | {after - before:.0f} MB |",
            f"| steady decision p50 / p99 | {percentile(steady, 0.5):.2f} / "
            f"{percentile(steady, 0.99):.2f} ms |",
            f"| decision right after a change p50 / p99 / max ({args.changes} changes) | "
            f"{percentile(after_change, 0.5):.2f} / {percentile(after_change, 0.99):.2f} / "
            f"{max(after_change):.2f} ms; stale answers: {stale} |",
        ]
        for path in LIST_ROUTES:
            times: list[float] = []
            items = 0
            _status, _body, first = client.call("GET", path)  # the route's first use
            for _ in range(50):
                status, body, elapsed = client.call("GET", path)
                times.append(elapsed * 1000)
                if isinstance(body, list):
                    items = len(body)
                elif isinstance(body, dict):
                    items = len(body.get("items", body.get("results", [])))
            lines.append(
                f"| first page of GET {path} p50 / p95 | {percentile(times, 0.5):.1f} / "
                f"{percentile(times, 0.95):.1f} ms ({items} items, status {status}; the "
                f"route's first use {first * 1000:.0f} ms) |"
            )
    return "\n".join(lines)


def measure_propagation(env: dict[str, str], sizes: Sizes, changes: int) -> str:
    """Two servers on one database, both under a background decision load."""
    port_a, port_b = free_port(), free_port()
    data = Path(env["SPACEGATE_DATA_DIR"])
    with server(env, port_a, data / "a2.log"), server(env, port_b, data / "b.log"):
        token = api_token(port_a)
        a, b = Client(port_a, token), Client(port_b, token)
        a.check(1, 1)
        b.check(1, 1)  # both indexes warm
        script = data / "load.lua"
        script.write_text(
            'wrk.method = "POST"\n'
            "wrk.body = "
            + json.dumps(
                json.dumps(
                    {"email": email(7), "permission": "VIEW_SPACE", "space_name": space_name(1)}
                )
            )
            + '\nwrk.headers["Content-Type"] = "application/json"\n'
            f'wrk.headers["Authorization"] = "Bearer {token}"\n'
        )
        loads = []
        if shutil.which("wrk"):
            for port in (port_a, port_b):
                loads.append(
                    subprocess.Popen(
                        [
                            "wrk",
                            "-t1",
                            "-c8",
                            f"-d{max(60, changes // 5)}s",
                            "-s",
                            str(script),
                            f"http://127.0.0.1:{port}/api/authz/check",
                        ],
                        stdout=subprocess.DEVNULL,
                    )
                )
        rng = random.Random(11)
        lags: list[float] = []
        try:
            for _ in range(changes):
                user, space, publisher = change_one(a, rng, sizes)
                changed = time.perf_counter()
                deadline = changed + 10
                while b.check(user, space) != publisher:
                    if time.perf_counter() > deadline:
                        raise SystemExit(f"server B never saw the change of {email(user)}")
                lags.append((time.perf_counter() - changed) * 1000)
        finally:
            for load in loads:
                load.terminate()
    return (
        f"| propagation to a second server, p50 / p99 / max ({changes} changes, both under "
        f"load) | {percentile(lags, 0.5):.1f} / {percentile(lags, 0.99):.1f} / "
        f"{max(lags):.1f} ms |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--spaces", type=int, default=10_000)
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--propagation", type=int, default=1000)
    args = parser.parse_args()
    sizes = Sizes(args.users, args.spaces)
    print(f"load average at start: {os.getloadavg()[0]:.2f}; cores: {os.cpu_count()}")
    directory = Path(tempfile.mkdtemp(prefix="spacegate-scale-"))
    env = {
        **os.environ,
        "SPACEGATE_DATA_DIR": str(directory),
        "SPACEGATE_DATABASE_URL": DATABASE_URL,
        "SPACEGATE_MAIL_WORKER": "false",
        "SPACEGATE_ACCESS_LOG": "false",
    }
    try:
        create_database()
        subprocess.run(
            [str(BIN / "spacegate"), "migrate"], env=env, check=True, capture_output=True
        )
        started = time.perf_counter()
        grants = seed(env, sizes)
        print(
            f"seeded {sizes.users:,} users, {sizes.spaces:,} spaces, {grants:,} grants in "
            f"{time.perf_counter() - started:.0f} s"
        )
        print("| measure | figure |\n|---|---|")
        print(measure_one_server(env, sizes, args))
        if args.propagation:
            print(measure_propagation(env, sizes, args.propagation))
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
