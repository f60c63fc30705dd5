"""Keyset pagination: the cursor is the last id of a page, so pages stay stable while
rows are added or removed concurrently."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import Query, Response

from spacegate.errors import InvalidInput

LimitQuery = Annotated[int, Query(ge=1, le=500, description="Page size.")]
CursorQuery = Annotated[
    str | None, Query(max_length=64, description="The `X-Next-Cursor` of the previous page.")
]


MAX_ID = 2**63 - 1
"""The largest row id either database stores; a larger int in a query is a 500 on SQLite."""


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        last_id = int(base64.urlsafe_b64decode(cursor.encode()).decode())
    except ValueError:
        last_id = 0
    if not 1 <= last_id <= MAX_ID:
        raise InvalidInput("The cursor is not valid; use the X-Next-Cursor of a previous page.")
    return last_id


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(str(last_id).encode()).decode()


def set_next_cursor(response: Response, ids: list[int], limit: int) -> None:
    """A full page may have a next one: say where it starts."""
    if len(ids) == limit:
        response.headers["X-Next-Cursor"] = encode_cursor(ids[-1])
