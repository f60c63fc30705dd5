"""Prometheus metrics (prometheus-client), defined once for the process.

Labels stay bounded: routes by their path template (`/api/spaces/{space}`), never the
path itself; no account, user or space names. With several worker processes, set
`PROMETHEUS_MULTIPROC_DIR` (`spacegate serve --workers N` sets it) so that `/metrics`
answers for all of them.
"""

from __future__ import annotations

import os

from prometheus_client import REGISTRY as DEFAULT_REGISTRY
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUESTS = Counter(
    "spacegate_http_requests_total",
    "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "spacegate_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template and method.",
    ["route", "method"],
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DECISIONS = Counter(
    "spacegate_decisions_total", "Decisions of the decision API, by outcome.", ["outcome"]
)
DECISIONS_ALLOWED = DECISIONS.labels("allowed")
DECISIONS_DENIED = DECISIONS.labels("denied")
INDEX_LOADS = Counter("spacegate_index_loads_total", "Grant indexes loaded in full.")
INDEX_LOAD_SECONDS = Histogram(
    "spacegate_index_load_seconds",
    "Time to load an account's grant index in full.",
    buckets=(0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10),
)
CHANGES_APPLIED = Counter(
    "spacegate_grant_changes_applied_total",
    "Grant changes applied to this process's caches, by where they came from.",
    ["source"],
)
PROPAGATION_SECONDS = Histogram(
    "spacegate_grant_propagation_seconds",
    "From a grant change's commit in another process to its application here.",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
OUTBOX_DEPTH = Gauge(
    "spacegate_outbox_depth",
    "Messages waiting in the outbox (pending or being retried).",
    multiprocess_mode="max",
)
WORKER_UP = Gauge(
    "spacegate_worker_up",
    "Whether a background worker of this process runs (1) or not (0).",
    ["worker"],
    multiprocess_mode="max",
)


ELECTED = Gauge(
    "spacegate_workers_elected",
    "Whether this process is the one that runs the mail and environment workers.",
    multiprocess_mode="max",
)


def exposition() -> bytes:
    """The metrics in Prometheus's text format: this process's, or every worker's when
    they share a multiprocess directory."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(DEFAULT_REGISTRY)
