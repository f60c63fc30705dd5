"""The baseline of `bench/http.py`: a bare FastAPI endpoint at spacegate's decision path.

It parses the same JSON body into the same kind of model as `POST /api/authz/check`
and answers from one dict lookup, in FastAPI's idiomatic fastest form (an `async`
endpoint: no thread hop; served by the same uvicorn, without an access log). What
spacegate does beyond this (authenticating a real token, resolving names, the decision,
its middleware) is what the benchmark measures.

Serve it with `uvicorn bench.bare_app:app`.
"""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import BaseModel, Field

from spacegate.authz import Permission


class CheckQuery(BaseModel):
    email: str = Field(max_length=254)
    permission: Permission
    space_name: str | None = Field(None, max_length=200)


GRANTS: dict[tuple[str, Permission, str | None], bool] = {
    ("dev@bench.example", Permission.LAUNCH_SANDBOXES, "dev"): True,
}

app = FastAPI()


@app.post("/api/authz/check")
async def check(body: CheckQuery) -> dict[str, object]:
    allowed = GRANTS.get((body.email, body.permission, body.space_name), False)
    return {"allowed": allowed, "reason": "granted" if allowed else "not granted"}
