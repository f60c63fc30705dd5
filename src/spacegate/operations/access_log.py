"""The access log and the request metrics, off the request's path.

One pure ASGI middleware times each request and, after the answer is sent, records its
metrics and hands a tuple to a queue. A background thread turns the tuples into log
lines (logger `spacegate.access`): formatting and writing never run on the event loop.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spacegate import metrics

log = logging.getLogger("spacegate.access")

_Entry = tuple[float, str, str, str, int, float]  # when, client, method, path, status, s


class AccessLog:
    """A queue of answered requests and the thread that writes them as log lines."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[_Entry | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def put(self, entry: _Entry) -> None:
        self._queue.put_nowait(entry)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="access-log", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put_nowait(None)
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while (entry := self._queue.get()) is not None:
            when, client, method, path, status, seconds = entry
            log.info(
                '%s - "%s %s" %d %.1fms %s',
                client,
                method,
                path,
                status,
                seconds * 1000,
                time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(when)),
            )


class ObserveRequests:
    """Request metrics for every HTTP request, and the runtime's access log when it is
    on (`SPACEGATE_ACCESS_LOG`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._timers: dict[tuple[str, str], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            seconds = time.perf_counter() - start
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            key = (template, method)
            timer = self._timers.get(key)
            if timer is None:
                timer = self._timers[key] = metrics.REQUEST_SECONDS.labels(template, method)
            timer.observe(seconds)
            metrics.REQUESTS.labels(template, method, str(status)).inc()
            runtime = getattr(scope["app"].state, "runtime", None)
            if runtime is not None and runtime.settings.access_log:
                client = scope.get("client")
                runtime.access_log.put(
                    (
                        time.time(),
                        client[0] if client else "-",
                        method,
                        scope.get("path", ""),
                        status,
                        seconds,
                    )
                )
