"""Two defences every response shares, in one pure ASGI middleware: a limit on request
bodies and the security headers.

- Bodies: a request whose `Content-Length` is over its route's limit is answered 413,
  in the API's error shape, before any of the body is read (the server never holds a
  200 MB login body). A body without a length (chunked) is counted as it is read and
  refused the same way once it passes the limit. The limit is
  SPACEGATE_MAX_REQUEST_BODY_BYTES (1 MiB), larger for the few routes that take bulk
  data (`LARGER_BODIES`).
- Headers: a Content-Security-Policy without inline script (and `frame-ancestors
  'none'`), X-Content-Type-Options, Referrer-Policy and X-Frame-Options on every
  response, built once.

The decision API passes through here on every request, so the work per request is a
scan of the request's headers for its length, and the headers added to the answer.
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MIB = 1024 * 1024
LARGER_BODIES: dict[str, int] = {
    "/api/cost/records": 16 * MIB,  # a month of billing lines, as CSV or JSON
}
"""Routes (by path prefix) that need more than the default body limit."""
POLICY_BODY_BYTES = 2 * MIB
"""Space policies: a module and its data document (`/api/spaces/{space}/policies...`,
and the console's forms, whose URL encoding can triple the size)."""

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
# Swagger UI (served from the package, see `spacegate.api_docs`) sets inline styles.
DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
DOCS_PATH = "/api/docs"


def _headers(csp: str) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-security-policy", csp.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"x-frame-options", b"DENY"),
    ]


SECURITY_HEADERS = _headers(CSP)
DOCS_HEADERS = _headers(DOCS_CSP)


def too_large_message(limit: int) -> str:
    return f"The request body is larger than this route accepts ({limit} bytes at most)."


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a body without a length passes its limit; FastAPI
    hands HTTP errors to the app's handlers, which answer in the API's error shape."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large_message(limit))


class Hardening:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body = max_body_bytes

    def limit_for(self, path: str) -> int:
        if path.startswith(("/api/spaces/", "/spaces/")) and "/policies" in path:
            return max(self.max_body, POLICY_BODY_BYTES)
        for prefix, limit in LARGER_BODIES.items():
            if path.startswith(prefix):
                return max(self.max_body, limit)
        return self.max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        headers = DOCS_HEADERS if path == DOCS_PATH else SECURITY_HEADERS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *headers]
            await send(message)

        length: bytes | None = None
        chunked = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                length = value
            elif name == b"transfer-encoding":
                chunked = True
        limit = self.limit_for(path)
        if length is not None:
            # The server checks that the body matches its length: no need to count it.
            if not length.isdigit() or int(length) > limit:
                await self._refuse(send_with_headers, limit)
                return
            await self.app(scope, receive, send_with_headers)
            return
        if chunked:
            receive = _counted(receive, limit)
        await self.app(scope, receive, send_with_headers)

    @staticmethod
    async def _refuse(send: Send, limit: int) -> None:
        body = json.dumps(
            {"errors": [{"name": "PayloadTooLarge", "message": too_large_message(limit)}]}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _counted(receive: Receive, limit: int) -> Receive:
    received = 0

    async def counting() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)
        return message

    return counting
