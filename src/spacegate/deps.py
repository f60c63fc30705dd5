"""Request-scoped dependencies shared by every router: the runtime, the database
session (one transaction per request), the grant index cache and the client's address.
The edge (guards, routes, pages) reaches the runtime through these only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from spacegate.db import transaction
from spacegate.grants.cache import IndexCache
from spacegate.runtime import Runtime

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request, committed before the response is sent (the
    dependency is function-scoped), rolled back when the endpoint raises."""
    runtime = get_runtime(request)
    with transaction(runtime.sessions, write=request.method not in _READ_METHODS) as session:
        yield session


def get_index_cache(request: Request) -> IndexCache:
    return get_runtime(request).authz


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
ClientDep = Annotated[str | None, Depends(client_address)]
IndexCacheDep = Annotated[IndexCache, Depends(get_index_cache)]
