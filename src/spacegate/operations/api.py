"""Operations routes: liveness, readiness and Prometheus metrics (no `/api` prefix, as
load balancers and scrapers expect). Open to anyone: they name no account, user or
space; restrict them at the proxy where that matters."""

from __future__ import annotations

import anyio.to_thread
from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text

from spacegate import metrics
from spacegate.access.requires import Anyone
from spacegate.db import transaction
from spacegate.deps import RuntimeDep
from spacegate.http_errors import error_body
from spacegate.mail.outbox import waiting
from spacegate.runtime import Runtime

router = APIRouter(tags=["Operations"], dependencies=[Anyone])


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> dict[str, str]:
    """Always `{"status": "ok"}` while the process serves requests."""
    return {"status": "ok"}


def _database_answers(runtime: Runtime) -> bool:
    try:
        with transaction(runtime.sessions, write=False) as session:
            session.execute(text("SELECT 1"))
    except Exception:
        return False
    return True


@router.get(
    "/readyz",
    summary="Readiness: the database answers and grant changes are followed",
    responses={503: {"description": "Not ready; the message says why."}},
)
async def readyz(runtime: RuntimeDep) -> Response:
    """200 when the database answers and the version poll of the grant caches runs
    (so this process enforces changes made by others); 503 otherwise."""
    problems = []
    if not await anyio.to_thread.run_sync(_database_answers, runtime):
        problems.append("the database does not answer")
    if not (runtime.authz.running and runtime.authz.polled):
        problems.append("the poll of grant changes is not running")
    if problems:
        message = "Not ready: " + "; ".join(problems) + "."
        return JSONResponse(error_body("NotReady", message), status_code=503)
    return JSONResponse({"status": "ready"})


def _sample(runtime: Runtime) -> None:
    """Gauges read at scrape time (the outbox's depth and the workers' health), and the
    requests answered since the access log's last turn."""
    runtime.access_log.fold()
    try:
        with transaction(runtime.sessions, write=False) as session:
            metrics.OUTBOX_DEPTH.set(waiting(session))
    except Exception:
        metrics.OUTBOX_DEPTH.set(float("nan"))
    workers = {
        "grants_poll": runtime.authz.running,
        "grants_notifications": runtime.feed.running,
        "token_uses": runtime.callers.running,
        "mail": runtime.mail.running,
        "environments": runtime.environments.running,
    }
    for name, up in workers.items():
        metrics.WORKER_UP.labels(name).set(1 if up else 0)
    elected = runtime.election.elected or not runtime.settings.worker_election
    metrics.ELECTED.set(1 if elected else 0)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}},
)
async def prometheus_metrics(runtime: RuntimeDep) -> Response:
    """Requests by route and status with latency histograms, decisions allowed and
    denied, index loads and changes applied, propagation lag, outbox depth and the
    background workers' health, in Prometheus's text format."""
    await anyio.to_thread.run_sync(_sample, runtime)
    return Response(metrics.exposition(), media_type="text/plain; version=0.0.4")
