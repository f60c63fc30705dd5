"""The access log and the request metrics, off the request's path.

One pure ASGI middleware times each request and, after the answer is sent, appends a
tuple to a deque: that is all a request pays. A background thread wakes every tenth of a
second and turns what has piled up into the request metrics and, when the access log is
on, log lines (logger `spacegate.access`); `/metrics` folds in what is pending before it
answers, so a scrape is exact. Metrics, formatting and writing never run on the event
loop, and a request never wakes a thread.
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

# when, client, method, path, route template, status, seconds
_Entry = tuple[float, str, str, str, str, int, float]


class AccessLog:
    """Answered requests waiting to be counted (and written, with `write_lines`), and
    the thread that does it."""

    def __init__(self, *, write_lines: bool = False, interval_seconds: float = 0.1) -> None:
        # Bounded: a flood drops the oldest (at 0.1 s a turn, only past a million requests
        # a second).
        self._pending: deque[_Entry] = deque(maxlen=100_000)
        self.write_lines = write_lines
        self._interval = interval_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._folding = threading.Lock()
        # Labelled children, kept: `labels()` takes a lock and builds a key every time.
        self._timers: dict[tuple[str, str], Any] = {}
        self._counters: dict[tuple[str, str, int], Any] = {}

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
        self.fold()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.fold()

    def fold(self) -> None:
        """Count (and write) every request answered so far."""
        with self._folding:
            while self._pending:
                self._fold(self._pending.popleft())

    def _fold(self, entry: _Entry) -> None:
        when, client, method, path, template, status, seconds = entry
        timer = self._timers.get((template, method))
        if timer is None:
            timer = metrics.REQUEST_SECONDS.labels(template, method)
            self._timers[(template, method)] = timer
        timer.observe(seconds)
        counter = self._counters.get((template, method, status))
        if counter is None:
            counter = metrics.REQUESTS.labels(template, method, str(status))
            self._counters[(template, method, status)] = counter
        counter.inc()
        if self.write_lines:
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
    on (`SPACEGATE_ACCESS_LOG`), through the runtime's `AccessLog`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._without_runtime = AccessLog()  # an app serving before its runtime is set

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
            runtime = getattr(scope["app"].state, "runtime", None)
            ledger = runtime.access_log if runtime is not None else self._without_runtime
            client = scope.get("client")
            ledger.put(
                (
                    time.time(),
                    client[0] if client else "-",
                    scope["method"],
                    scope.get("path", ""),
                    getattr(route, "path", None) or "unmatched",
                    status,
                    seconds,
                )
            )
            if runtime is None:
                ledger.fold()
