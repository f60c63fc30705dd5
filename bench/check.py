"""Benchmark: spacegate's authorization check, as requests run it, against pycasbin's
"RBAC with domains".

Standalone script, not a test. Run it with `make bench`, or directly:

    .venv/bin/python bench/check.py [--sizes small,medium,large] [--checks N]

spacegate is timed on what a request runs: the guard builds one `Access(caller, index)`
for the requesting user (a real `Caller`, its token not narrowed: `token_mask` None), and
the endpoint asks `access.has(permission, space_id)`. The script builds one `Access` per
user that appears in the requests, before timing, and times `has`.

Both engines get the same grants, built from one seeded random draw:

* every user holds the built-in account role `Member` (which grants nothing by itself), so
  pycasbin needs no account-level rules and both engines decide on identical data;
* each (user, space) pair drawn holds one random built-in space role (Space Admin, Space
  Developer or Space Member); pairs are distinct, so a user has at most one role per space.

pycasbin gets its idiomatic model for roles that mean the same in every domain: one
`p, <role>, *, <PERMISSION>` rule per built-in space role and permission the role holds
(read from `spacegate.authz.catalog.builtin_role_permissions`), written once for every
space through the `*` domain that the matcher's `keyMatch(r.dom, p.dom)` accepts, and one
`g, <user>, <role>, <space>` rule per space grant, with `keyMatch` registered as the `g`
domain matching function (`add_named_domain_matching_func`), as pycasbin documents for
domain patterns.

Both engines then answer the same list of random (user, space, permission) requests, half of
them on a granted pair and half on a random pair, with the permission drawn from the
space-level permissions, so the list mixes allowed and denied answers; at every size both
engines are first asked every request, and must agree on each. Each engine runs its
list several times; the time per check is the median over those runs of (run time / checks).
Loop overhead (iterating the list, unpacking the request) is included for both engines; the
garbage collector is off while timing. Where pycasbin is too slow to run the whole list
within its time budget, it runs a prefix of the same list and the output says so.

Build time is measured from the same raw grants (a list of int tuples) to a ready engine.
Memory is measured by `tracemalloc` in a separate build of each engine: the peak traced
during the build, and what the build still holds once it is done (retained).
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import casbin
from casbin.model import Model
from casbin.util import key_match

from spacegate.authz import AccountGrants, AccountIndex, BuiltinRole, Level, Permission
from spacegate.authz.catalog import builtin_role_permissions, permissions_of_level
from spacegate.grants.context import Access, Caller

CASBIN_MODEL_TEXT = """
[request_definition]
r = sub, dom, act

[policy_definition]
p = sub, dom, act

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub, r.dom) && keyMatch(r.dom, p.dom) && r.act == p.act
"""
ANY_SPACE = "*"
"""The domain of pycasbin's role rules: every space (`keyMatch(r.dom, "*")` holds)."""

SPACE_ROLES: tuple[BuiltinRole, ...] = (
    BuiltinRole.SPACE_ADMIN,
    BuiltinRole.SPACE_DEVELOPER,
    BuiltinRole.SPACE_MEMBER,
)
SPACE_PERMISSIONS: tuple[Permission, ...] = permissions_of_level(Level.SPACE)
ACCOUNT_ROLE = BuiltinRole.MEMBER.value

SPEEDUP_TARGET = 100.0
"""spacegate must be at least this many times faster than pycasbin, at every size."""
SCALING_TARGET = 1.5
"""spacegate's time per check at the largest size over the smallest must stay under this."""
CASBIN_MIN_CHECKS = 10
"""pycasbin answers at least this many requests per run, whatever its time budget."""

Grant = tuple[int, int, str]
"""(user id, space id, space role name)."""
Request = tuple[int, Permission, int]
"""(user id, permission, space id), as drawn."""
AccessRequest = tuple[Access, Permission, int]
"""(the requesting user's Access, permission, space id): what `Access.has` is asked."""
CasbinRequest = tuple[str, str, str]
"""(subject, domain, action): the arguments of `Enforcer.enforce`."""


@dataclass(frozen=True, slots=True)
class Size:
    name: str
    users: int
    spaces: int
    grants: int


SIZES: dict[str, Size] = {
    "small": Size("small", 1_000, 100, 5_000),
    "medium": Size("medium", 10_000, 1_000, 50_000),
    "large": Size("large", 100_000, 10_000, 500_000),
}


@dataclass(frozen=True, slots=True)
class Dataset:
    size: Size
    grants: list[Grant]
    requests: list[Request]
    casbin_requests: list[CasbinRequest]


@dataclass(frozen=True, slots=True)
class BuildStats:
    seconds: float
    peak_bytes: int
    retained_bytes: int


@dataclass(frozen=True, slots=True)
class Timing:
    checks: int
    """How many requests of the list (a prefix) each run answered."""
    runs: int
    median_ns: float
    """Median over the runs of (run time / checks), in nanoseconds."""


@dataclass(frozen=True, slots=True)
class SizeResult:
    size: Size
    spacegate_build: BuildStats
    casbin_build: BuildStats
    spacegate: Timing
    casbin: Timing

    @property
    def ratio(self) -> float:
        return self.casbin.median_ns / self.spacegate.median_ns


# -- data ------------------------------------------------------------------------------


def make_dataset(size: Size, checks: int, seed: int) -> Dataset:
    """Grants and requests for one size, reproducible from `seed`."""
    rng = random.Random(f"{seed}-{size.name}")
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < size.grants:
        pairs.add((rng.randint(1, size.users), rng.randint(1, size.spaces)))
    ordered_pairs = sorted(pairs)
    rng.shuffle(ordered_pairs)
    grants = [(user, space, rng.choice(SPACE_ROLES).value) for user, space in ordered_pairs]

    requests: list[Request] = []
    for _ in range(checks):
        if rng.random() < 0.5:
            user, space, _role = grants[rng.randrange(len(grants))]
        else:
            user, space = rng.randint(1, size.users), rng.randint(1, size.spaces)
        # Fresh int objects, as ids parsed from a request would be: reusing the grants' own
        # objects would scatter the request list over the grant list's memory, a cost that
        # grows with the size and belongs to neither engine.
        requests.append((int(str(user)), rng.choice(SPACE_PERMISSIONS), int(str(space))))
    casbin_requests = [
        (f"u{user}", f"s{space}", permission.value) for user, permission, space in requests
    ]
    return Dataset(size, grants, requests, casbin_requests)


# -- the two engines -------------------------------------------------------------------


def build_spacegate(size: Size, grants: list[Grant]) -> AccountIndex:
    account_roles = {user: ACCOUNT_ROLE for user in range(1, size.users + 1)}
    return AccountIndex(
        AccountGrants(custom_roles=(), account_roles=account_roles, space_roles=grants)
    )


def caller_of(user: int) -> Caller:
    """The caller a guard builds from a user's session token (not narrowed)."""
    return Caller(
        user_id=user,
        account_id=1,
        account_name="bench",
        email=f"u{user}@bench.example",
        token_id=user,
        token_kind="session",
        token_mask=None,
    )


def access_requests(index: AccountIndex, requests: Sequence[Request]) -> list[AccessRequest]:
    """The requests as endpoints ask them: one `Access` per requesting user (a request's
    guard builds one), shared by that user's requests."""
    accesses: dict[int, Access] = {}
    for user, _permission, _space in requests:
        if user not in accesses:
            accesses[user] = Access(caller_of(user), index)
    return [(accesses[user], permission, space) for user, permission, space in requests]


def build_casbin(size: Size, grants: list[Grant]) -> Any:
    """A pycasbin enforcer holding the same grants (pycasbin ships no type hints)."""
    model = Model()
    model.load_model_from_text(CASBIN_MODEL_TEXT)
    enforcer = casbin.Enforcer(model)
    enforcer.add_named_domain_matching_func("g", key_match)
    policies = [
        [role.value, ANY_SPACE, permission.value]
        for role in SPACE_ROLES
        for permission in sorted(builtin_role_permissions(role))
    ]
    groupings = [[f"u{user}", role, f"s{space}"] for user, space, role in grants]
    # Bulk adds into an empty model: pycasbin checks duplicates against the rules already
    # loaded, which are none, so loading stays linear.
    enforcer.add_policies(policies)
    enforcer.add_grouping_policies(groupings)
    return enforcer


def timed_build(build: Callable[[], object]) -> tuple[object, float]:
    gc.collect()
    start = time.perf_counter_ns()
    engine = build()
    return engine, (time.perf_counter_ns() - start) / 1e9


def traced_build(build: Callable[[], object]) -> tuple[int, int]:
    """(peak, retained) bytes traced by tracemalloc while building, in a throwaway build."""
    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        engine = build()
        gc.collect()
        after, peak = tracemalloc.get_traced_memory()
        del engine
    finally:
        tracemalloc.stop()
    gc.collect()
    return peak - before, after - before


# -- timing ----------------------------------------------------------------------------


def spacegate_run(requests: Sequence[AccessRequest]) -> int:
    start = time.perf_counter_ns()
    for access, permission, space in requests:
        access.has(permission, space)
    return time.perf_counter_ns() - start


def loop_run(requests: Sequence[AccessRequest]) -> int:
    """The loop of `spacegate_run` without the check: the overhead inside every figure."""
    start = time.perf_counter_ns()
    for _access, _permission, _space in requests:
        pass
    return time.perf_counter_ns() - start


def casbin_run(enforcer: Any, requests: Sequence[CasbinRequest]) -> int:
    enforce = enforcer.enforce
    start = time.perf_counter_ns()
    for subject, domain, action in requests:
        enforce(subject, domain, action)
    return time.perf_counter_ns() - start


def median_per_check(run: Callable[[], int], checks: int, runs: int) -> Timing:
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        per_check = [run() / checks for _ in range(runs)]
    finally:
        if gc_was_enabled:
            gc.enable()
    return Timing(checks, runs, statistics.median(per_check))


def casbin_checks_for_budget(
    enforcer: Any, requests: Sequence[CasbinRequest], runs: int, budget_s: float
) -> tuple[int, float]:
    """How many requests (a prefix) pycasbin can run `runs` times within `budget_s`.

    Also serves as pycasbin's warm-up. Returns (checks, estimated ns per check).
    """
    probe = min(len(requests), 50)
    spent = 0
    done = 0
    while done < probe and spent < 5e9:  # at most ~5 s of probing
        spent += casbin_run(enforcer, requests[done : done + 1])
        done += 1
    estimate = spent / done
    affordable = int(budget_s * 1e9 / (estimate * runs))
    return max(min(len(requests), CASBIN_MIN_CHECKS), min(len(requests), affordable)), estimate


# -- sanity check ----------------------------------------------------------------------


def disagreements(
    requests: Sequence[AccessRequest],
    enforcer: Any,
    dataset: Dataset,
    budget_s: float,
) -> tuple[int, int, int]:
    """(disagreements, requests compared, allowed) between the engines, over the list.

    Stops early only if pycasbin would take more than `budget_s` for the whole list.
    """
    found = compared = allowed = 0
    deadline = time.perf_counter() + budget_s
    for ours_request, request, casbin_request in zip(
        requests, dataset.requests, dataset.casbin_requests, strict=True
    ):
        access, permission, space = ours_request
        ours = access.has(permission, space)
        theirs = bool(enforcer.enforce(*casbin_request))
        found += ours != theirs
        allowed += ours
        compared += 1
        if found and found <= 5 and ours != theirs:
            print(f"  disagreement: {request} spacegate={ours} pycasbin={theirs}")
        if time.perf_counter() > deadline:
            break
    return found, compared, allowed


# -- output ----------------------------------------------------------------------------


def mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB"


def print_size_table(result: SizeResult, total_checks: int) -> None:
    header = (
        f"{'engine':<10} {'build':>9} {'mem peak':>11} {'mem retained':>13} "
        f"{'checks/run':>11} {'runs':>5} {'median ns/check':>16}"
    )
    print(header)
    print("-" * len(header))
    rows = (
        ("spacegate", result.spacegate_build, result.spacegate),
        ("pycasbin", result.casbin_build, result.casbin),
    )
    for name, build, timing in rows:
        print(
            f"{name:<10} {build.seconds:>8.3f}s {mib(build.peak_bytes):>11} "
            f"{mib(build.retained_bytes):>13} {timing.checks:>11,} {timing.runs:>5} "
            f"{timing.median_ns:>16,.0f}"
        )
    if result.casbin.checks < total_checks:
        print(
            f"note: pycasbin ran only the first {result.casbin.checks:,} of the "
            f"{total_checks:,} requests per run (same list, prefix), to stay within its "
            "time budget"
        )
    print(f"ratio pycasbin/spacegate: {result.ratio:,.0f}x")


def print_summary(results: list[SizeResult]) -> bool:
    print()
    print("Summary (median ns per check; build seconds; tracemalloc peak during build)")
    header = (
        f"| {'size':<6} | {'users/spaces/grants':<22} | {'spacegate ns':>12} | "
        f"{'pycasbin ns':>14} | {'pycasbin checks':>15} | {'ratio':>11} | "
        f"{'build sg / casbin':>19} | {'mem sg / casbin':>21} |"
    )
    print(header)
    print("|" + "|".join("-" * (len(cell)) for cell in header.split("|")[1:-1]) + "|")
    for r in results:
        shape = f"{r.size.users:,}/{r.size.spaces:,}/{r.size.grants:,}"
        builds = f"{r.spacegate_build.seconds:.3f}s / {r.casbin_build.seconds:.3f}s"
        mems = f"{mib(r.spacegate_build.peak_bytes)} / {mib(r.casbin_build.peak_bytes)}"
        print(
            f"| {r.size.name:<6} | {shape:<22} | {r.spacegate.median_ns:>12,.0f} | "
            f"{r.casbin.median_ns:>14,.0f} | {r.casbin.checks:>15,} | "
            f"{r.ratio:>10,.0f}x | {builds:>19} | {mems:>21} |"
        )
    print()

    slowest_ratio = min(r.ratio for r in results)
    speed_met = slowest_ratio >= SPEEDUP_TARGET
    print(
        f"Target: spacegate >= {SPEEDUP_TARGET:.0f}x faster than pycasbin at every size: "
        f"{'MET' if speed_met else 'NOT MET'} (smallest ratio {slowest_ratio:,.0f}x)"
    )
    smallest = min(results, key=lambda r: r.size.grants)
    largest = max(results, key=lambda r: r.size.grants)
    scaling = largest.spacegate.median_ns / smallest.spacegate.median_ns
    scaling_met = scaling <= SCALING_TARGET
    if largest is smallest:
        print("Target: spacegate largest/smallest <= 1.5x: not assessed (one size only)")
        scaling_met = True
    else:
        print(
            f"Target: spacegate {largest.size.name}/{smallest.size.name} time per check "
            f"<= {SCALING_TARGET}x: {'MET' if scaling_met else 'NOT MET'}"
        )
    print(
        f"spacegate {largest.size.name}/{smallest.size.name} time per check: "
        f"{largest.spacegate.median_ns:,.0f} ns / {smallest.spacegate.median_ns:,.0f} ns "
        f"= {scaling:.2f}x"
    )
    return speed_met and scaling_met


# -- main ------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--sizes",
        default="small,medium,large",
        help="comma-separated subset of: " + ", ".join(SIZES) + " (default: all)",
    )
    parser.add_argument(
        "--checks", type=int, default=20_000, help="requests in the list (default: 20000)"
    )
    parser.add_argument(
        "--runs", type=int, default=5, help="runs of the list per engine (default: 5)"
    )
    parser.add_argument("--seed", type=int, default=20_240_601, help="random seed")
    parser.add_argument(
        "--casbin-budget",
        type=float,
        default=45.0,
        help="seconds pycasbin's timed runs may take per size (default: 45); pycasbin "
        "runs a prefix of the request list when the whole list would take longer",
    )
    parser.add_argument(
        "--sanity-budget",
        type=float,
        default=300.0,
        help="seconds the allow/deny comparison may take per size (default: 300)",
    )
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.sizes.split(",") if name.strip()]
    unknown = [name for name in names if name not in SIZES]
    if unknown or not names:
        parser.error(f"unknown size(s) {unknown}; choose from {', '.join(SIZES)}")
    if args.checks < 1 or args.runs < 1:
        parser.error("--checks and --runs must be at least 1")
    args.size_list = sorted((SIZES[name] for name in set(names)), key=lambda s: s.grants)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    checks: int = args.checks
    runs: int = args.runs
    print(f"python {sys.version.split()[0]}, pycasbin {casbin_version()}")
    print(
        f"{checks:,} requests per size, {runs} runs per engine, seed {args.seed}; "
        "memory measured with tracemalloc in a separate build"
    )
    print(f"CPUs: {os.cpu_count()}; {load_report()}")
    results: list[SizeResult] = []
    sane = True
    for size in args.size_list:
        print()
        print(
            f"== {size.name}: {size.users:,} users, {size.spaces:,} spaces, "
            f"{size.grants:,} space grants =="
        )
        dataset = make_dataset(size, checks, args.seed)

        def sg_build(size: Size = size, grants: list[Grant] = dataset.grants) -> object:
            return build_spacegate(size, grants)

        def cb_build(size: Size = size, grants: list[Grant] = dataset.grants) -> object:
            return build_casbin(size, grants)

        # Each engine is timed on an index built before the other engine's or any traced
        # build, so neither is measured on a heap fragmented by the other's garbage.
        index_obj, sg_seconds = timed_build(sg_build)
        assert isinstance(index_obj, AccountIndex)
        index = index_obj
        requests = access_requests(index, dataset.requests)
        spacegate_run(requests)  # warm-up
        sg_timing = median_per_check(partial(spacegate_run, requests), checks, runs)
        loop = median_per_check(partial(loop_run, requests), checks, runs)
        print(f"loop overhead (iterating the list, no check): {loop.median_ns:,.0f} ns per request")

        enforcer, cb_seconds = timed_build(cb_build)
        # Also pycasbin's warm-up: its role manager builds each domain's links on first use.
        found, compared, allowed = disagreements(requests, enforcer, dataset, args.sanity_budget)
        scope = (
            "every request in the list"
            if compared == checks
            else f"the first {compared:,} of {checks:,} requests (sanity budget reached)"
        )
        print(
            f"sanity check over {scope}: {allowed:,} allowed, {compared - allowed:,} "
            f"denied; disagreements between the engines: {found}"
        )
        sane = sane and found == 0
        cb_checks, estimate = casbin_checks_for_budget(
            enforcer, dataset.casbin_requests, runs, args.casbin_budget
        )
        prefix = dataset.casbin_requests[:cb_checks]
        print(
            f"pycasbin: ~{estimate / 1e6:,.1f} ms per check estimated; timing "
            f"{cb_checks:,} of {checks:,} requests x {runs} runs"
        )
        cb_timing = median_per_check(
            partial(casbin_run, enforcer, prefix),
            cb_checks,
            runs,
        )
        del index, index_obj, requests, enforcer
        gc.collect()

        sg_peak, sg_retained = traced_build(sg_build)
        cb_peak, cb_retained = traced_build(cb_build)
        result = SizeResult(
            size,
            BuildStats(sg_seconds, sg_peak, sg_retained),
            BuildStats(cb_seconds, cb_peak, cb_retained),
            sg_timing,
            cb_timing,
        )
        print_size_table(result, checks)
        results.append(result)
        del dataset
        gc.collect()

    targets_met = print_summary(results)
    print(f"At the end: {load_report()}")
    if not sane:
        print("ERROR: the engines disagree on some requests; the comparison is not valid")
        return 2
    print("All targets met." if targets_met else "Some targets NOT met.")
    return 0


def load_report() -> str:
    """The 1-minute load average, with a warning when other work competes for the CPUs."""
    load = os.getloadavg()[0]
    cpus = os.cpu_count() or 1
    busy = " (WARNING: other processes compete for the CPUs; timings are inflated)"
    return f"load average {load:.2f}" + (busy if load > cpus * 0.75 else "")


def casbin_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("casbin")
    except PackageNotFoundError:
        return "unknown"


if __name__ == "__main__":
    raise SystemExit(main())
