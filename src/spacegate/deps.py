"""Request-scoped dependencies shared by every router: the runtime, the database
session (one transaction per request), the grant index cache and the client's address.
The edge (guards, routes, pages) reaches the runtime through these only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from spacegate.auth.callers import CallerCache
from spacegate.db import transaction
from spacegate.grants.cache import IndexCache
from spacegate.runtime import Runtime

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# The light dependencies are `async`: FastAPI runs a plain `def` dependency in its thread
# pool, a hop that costs more than the work itself on the decision path.


def runtime_of(request: Request) -> Runtime:
    """The running installation that serves `request` (for code at the edge that is
    not itself a dependency, such as the guards)."""
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_runtime(request: Request) -> Runtime:
    return runtime_of(request)


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request, committed before the response is sent (the
    dependency is function-scoped), rolled back when the endpoint raises."""
    runtime: Runtime = request.app.state.runtime
    with transaction(runtime.sessions, write=request.method not in _READ_METHODS) as session:
        yield session


async def get_index_cache(request: Request) -> IndexCache:
    cache: IndexCache = request.app.state.runtime.authz
    return cache


async def get_caller_cache(request: Request) -> CallerCache:
    cache: CallerCache = request.app.state.runtime.callers
    return cache


async def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
ClientDep = Annotated[str | None, Depends(client_address)]
IndexCacheDep = Annotated[IndexCache, Depends(get_index_cache)]
CallerCacheDep = Annotated[CallerCache, Depends(get_caller_cache)]
