"""Keyset pagination: the cursor is the key of a page's last item (its id, or its name
for lists kept in name order), so pages stay stable while rows are added or removed
concurrently. Every list route takes `limit` and `cursor` (a test walks the routes)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Annotated, TypeVar

from fastapi import Query, Response

from spacegate.errors import InvalidInput

T = TypeVar("T")

DEFAULT_LIMIT = 100
"""The page size of a list route asked for none."""
LimitQuery = Annotated[int, Query(ge=1, le=500, description="Page size (default 100).")]
CursorQuery = Annotated[
    str | None, Query(max_length=512, description="The `X-Next-Cursor` of the previous page.")
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


_NAME = "n:"


def encode_name_cursor(last_key: str) -> str:
    """A cursor after a name (lists in name order: spaces, roles, tags...)."""
    return base64.urlsafe_b64encode((_NAME + last_key).encode()).decode()


def decode_name_cursor(cursor: str | None) -> str | None:
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        text = ""
    if not text.startswith(_NAME):
        raise InvalidInput("The cursor is not valid; use the X-Next-Cursor of a previous page.")
    return text[len(_NAME) :]


def page_by_name(
    items: Sequence[T], key: Callable[[T], str], limit: int, cursor: str | None, response: Response
) -> list[T]:
    """One page of `items` (sorted by `key`): those after the cursor, at most `limit`,
    with `X-Next-Cursor` when the page is full."""
    after = decode_name_cursor(cursor)
    page = [item for item in items if after is None or key(item) > after][:limit]
    if len(page) == limit:
        response.headers["X-Next-Cursor"] = encode_name_cursor(key(page[-1]))
    return page


def set_next_name_cursor(response: Response, keys: list[str], limit: int) -> None:
    """A full page of a list in name order may have a next one: say where it starts."""
    if len(keys) == limit:
        response.headers["X-Next-Cursor"] = encode_name_cursor(keys[-1])
