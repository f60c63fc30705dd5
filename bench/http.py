"""Benchmark: `POST /api/authz/check` over HTTP, spacegate against a bare FastAPI endpoint.

Standalone script, not a test. Run it from the repository root:

    .venv/bin/python bench/http.py [--databases sqlite,postgres] [--workers 1]
                                   [--connections 32] [--seconds 10] [--rounds 2]

What runs, all real and on loopback:

* spacegate: `spacegate serve --workers N` on a fresh database (a SQLite file in a
  temporary data directory, or the PostgreSQL database `spacegate_bench`, dropped and
  created again). An account is created with `spacegate accounts create`; its Account
  Admin signs in, creates the space `dev`, adds the user `dev@bench.example` to it as a
  Space Developer, and makes a long-lived API token (`POST /api/token/longtoken`). Every
  request asks, with that token, whether `dev@bench.example` may LAUNCH_SANDBOXES in
  `dev` (allowed, through the real grant).
* the baseline: `bench/bare_app.py` under the same uvicorn with the same number of
  worker processes, without an access log: an `async` FastAPI endpoint that parses the
  same body into the same kind of model and answers from one dict lookup.
* the load: `wrk` (Debian package `wrk`) with 2 threads and 32 connections, the same
  body and headers for both. Rounds alternate A B A B, each after a short warm-up, so
  that a change in the machine's load falls on both.

The table gives each round's requests/s, p50 and p99 (wrk's latency distribution), the
median over rounds, and spacegate's throughput as a share of the baseline's. Then the
batch form: one request of 100 checks, timed from a keep-alive client over loopback
(median of 200 requests; the server's own time is below that).

Targets (issue "The decision path at full speed"): at least 70% of the baseline's
requests/s, p99 <= 5 ms at 32 connections; 100 checks in one request under 2 ms.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on the path, and its name would hide
# the standard library's `http` package.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    del sys.path[0]

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ACCOUNT = "bench"
ADMIN_EMAIL = "admin@bench.example"
ADMIN_PASSWORD = "bench password, not a common one"
SUBJECT = "dev@bench.example"
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
POSTGRES_BENCH_DB = "spacegate_bench"
THROUGHPUT_TARGET = 0.70
P99_TARGET_MS = 5.0
BATCH_TARGET_MS = 2.0
BODY = {"email": SUBJECT, "permission": "LAUNCH_SANDBOXES", "space_name": "dev"}


@dataclass(frozen=True)
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for(port: int, path: str = "/healthz", seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", path)
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing answered on port {port} within {seconds} s")


def call(port: int, method: str, path: str, body: object = None, token: str = "") -> object:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, json.dumps(body) if body is not None else None, headers)
    response = conn.getresponse()
    data = response.read()
    if response.status >= 300:
        raise SystemExit(f"{method} {path} answered {response.status}: {data[:300]!r}")
    return json.loads(data) if data else None


@contextmanager
def server(command: list[str], env: dict[str, str], port: int, log: Path) -> Iterator[None]:
    """A server process; its output goes to `log` (a pipe nobody reads would fill up and
    stall the server's logging)."""
    with open(log, "w") as output:
        process = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        try:
            wait_for(port, "/api/openapi.json")
        except SystemExit:
            process.terminate()
            print(log.read_text()[-3000:], file=sys.stderr)
            raise
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def database_url(kind: str, data_dir: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{data_dir / 'spacegate.db'}"
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {POSTGRES_BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {POSTGRES_BENCH_DB}")
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{POSTGRES_BENCH_DB}"


def seed(env: dict[str, str], port: int) -> str:
    """The account, the grant and a long-lived API token, through the CLI and the API."""
    subprocess.run(
        [str(BIN / "spacegate"), "accounts", "create", ACCOUNT, "--admin-email", ADMIN_EMAIL],
        env={**env, "SPACEGATE_ADMIN_PASSWORD": ADMIN_PASSWORD},
        check=True,
        capture_output=True,
    )
    login = call(
        port,
        "POST",
        f"/api/accounts/{ACCOUNT}/login",
        {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
    )
    assert isinstance(login, dict)
    session = str(login["access_token"])
    call(port, "POST", "/api/spaces", {"name": "dev"}, session)
    call(
        port,
        "POST",
        "/api/accounts/users",
        {"email": SUBJECT, "first_name": "Dev", "last_name": "Bench"},
        session,
    )
    call(port, "POST", "/api/spaces/dev/users", {"email": SUBJECT}, session)
    call(
        port,
        "PUT",
        f"/api/spaces/dev/users/{SUBJECT}/space_role?value=Space%20Developer",
        None,
        session,
    )
    token = call(port, "POST", "/api/token/longtoken", {"name": "bench"}, session)
    assert isinstance(token, dict)
    return str(token["access_token"])


def wrk_script(directory: Path, token: str, body: object) -> Path:
    script = directory / "check.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(json.dumps(body))}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {token}"\n'
    )
    return script


_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if not match:
        raise ValueError(f"not a wrk duration: {text}")
    return float(match.group(1)) * _UNIT_MS[match.group(2)]


def run_wrk(port: int, script: Path, connections: int, seconds: float) -> Load:
    output = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds:g}s",
            "--latency",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}/api/authz/check",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    percentiles = dict(re.findall(r"^\s+(50|99)(?:\.000)?%\s+(\S+)", output, re.M))
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors:.*", output)
    if socket_errors:
        print(f"    wrk: {socket_errors.group(0)}")
    return Load(
        rate,
        _ms(percentiles["50"]),
        _ms(percentiles["99"]),
        int(errors.group(1)) if errors else 0,
    )


def batch_latency_ms(port: int, token: str, checks: int = 100, requests: int = 200) -> float:
    body = json.dumps({"checks": [BODY] * checks})
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times = []
    for _ in range(requests + 20):
        start = time.perf_counter()
        conn.request("POST", "/api/authz/check", body, headers)
        response = conn.getresponse()
        payload = json.loads(response.read())
        times.append((time.perf_counter() - start) * 1000)
        assert response.status == 200 and len(payload["results"]) == checks, payload
    return statistics.median(times[20:])


def bench_database(kind: str, args: argparse.Namespace) -> dict[str, object]:
    directory = Path(tempfile.mkdtemp(prefix="spacegate-http-"))
    try:
        env = {
            **os.environ,
            "SPACEGATE_DATA_DIR": str(directory),
            "SPACEGATE_DATABASE_URL": database_url(kind, directory),
            "SPACEGATE_MAIL_WORKER": "false",
        }
        ours, bare = free_port(), free_port()
        spacegate_cmd = [
            str(BIN / "spacegate"),
            "serve",
            "--port",
            str(ours),
            "--workers",
            str(args.workers),
        ]
        bare_cmd = [
            str(BIN / "uvicorn"),
            "bench.bare_app:app",
            "--port",
            str(bare),
            "--workers",
            str(args.workers),
            "--no-access-log",
            "--log-level",
            "warning",
        ]
        with (
            server(spacegate_cmd, env, ours, directory / "spacegate.log"),
            server(bare_cmd, env, bare, directory / "bare.log"),
        ):
            token = seed(env, ours)
            script = wrk_script(directory, token, BODY)
            answer = call(ours, "POST", "/api/authz/check", BODY, token)
            assert isinstance(answer, dict) and answer["allowed"] is True, answer
            rounds: dict[str, list[Load]] = {"spacegate": [], "bare FastAPI": []}
            for _name, port in (("spacegate", ours), ("bare FastAPI", bare)):
                run_wrk(port, script, args.connections, 2)  # warm-up
            for number in range(args.rounds):
                for name, port in (("spacegate", ours), ("bare FastAPI", bare)):
                    load = run_wrk(port, script, args.connections, args.seconds)
                    rounds[name].append(load)
                    print(
                        f"  {kind} round {number + 1} {name:>12}: {load.requests_per_second:8.0f}"
                        f" req/s  p50 {load.p50_ms:6.2f} ms  p99 {load.p99_ms:6.2f} ms"
                        + (f"  NON-2xx: {load.errors}" if load.errors else "")
                    )
            batch = batch_latency_ms(ours, token)
        return {"rounds": rounds, "batch_ms": batch}
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (Debian package).")
    print(f"load average at start: {os.getloadavg()[0]:.2f}; cores: {os.cpu_count()}")
    results = {kind: bench_database(kind, args) for kind in args.databases.split(",")}
    print()
    print(f"workers: {args.workers}, connections: {args.connections}, {args.seconds:g} s/round")
    print(
        "| database | server | req/s (median) | p50 ms | p99 ms | share of baseline |"
        " 100 checks in one request |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    for kind, result in results.items():
        rounds = result["rounds"]
        assert isinstance(rounds, dict)
        medians = {
            name: Load(
                statistics.median(load.requests_per_second for load in loads),
                statistics.median(load.p50_ms for load in loads),
                statistics.median(load.p99_ms for load in loads),
                sum(load.errors for load in loads),
            )
            for name, loads in rounds.items()
        }
        base = medians["bare FastAPI"].requests_per_second
        for name, load in medians.items():
            share = load.requests_per_second / base
            batch = f"{result['batch_ms']:.2f} ms" if name == "spacegate" else ""
            print(
                f"| {kind} | {name} | {load.requests_per_second:,.0f} | {load.p50_ms:.2f} |"
                f" {load.p99_ms:.2f} | {share:.0%} | {batch} |"
            )
    print(
        f"\ntargets: share >= {THROUGHPUT_TARGET:.0%}, p99 <= {P99_TARGET_MS} ms,"
        f" batch < {BATCH_TARGET_MS} ms"
    )
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
