"""The access log and the request metrics, off the request's path.

One pure ASGI middleware times each request and, after the answer is sent, records its
metrics and appends a tuple to a deque. A background thread wakes every tenth of a
second and turns what has piled up into log lines (logger `spacegate.access`):
formatting and writing never run on the event loop, and a request never wakes a thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spacegate import metrics

log = logging.getLogger("spacegate.access")

_Entry = tuple[float, str, str, str, int, float]  # when, client, method, path, status, s


class AccessLog:
    """Answered requests waiting to be written, and the thread that writes them."""

    def __init__(self, *, interval_seconds: float = 0.1) -> None:
        self._pending: deque[_Entry] = deque(maxlen=100_000)  # a flood drops the oldest
        self._interval = interval_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def put(self, entry: _Entry) -> None:
        self._pending.append(entry)  # atomic; wakes nobody

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="access-log", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=5)
            self._thread = None
        self._write()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._write()

    def _write(self) -> None:
        while self._pending:
            when, client, method, path, status, seconds = self._pending.popleft()
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
        # Labelled children, kept: `labels()` takes a lock and builds a key every time.
        self._timers: dict[tuple[str, str], Any] = {}
        self._counters: dict[tuple[str, str, int], Any] = {}

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
            counter = self._counters.get((template, method, status))
            if counter is None:
                counter = metrics.REQUESTS.labels(template, method, str(status))
                self._counters[(template, method, status)] = counter
            counter.inc()
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
