"""Evaluating policies in worker processes, with a wall-clock deadline and a memory
bound.

A Rego module is code a space admin writes: a few comprehensions can run for minutes
and take gigabytes, and rego-cpp cannot be interrupted from Python. So modules run in
a small pool of worker processes (started with `spawn`, kept warm between calls), each
under RLIMIT_AS (SPACEGATE_POLICY_MEMORY_MIB). A call that does not answer within
SPACEGATE_POLICY_TIMEOUT_SECONDS gets its worker killed and replaced; a worker that
dies (the memory bound) is replaced likewise. The deadline counts the module's own run:
a new worker first says it is ready (a busy machine can take seconds to start Python),
within STARTUP_SECONDS. Either way the caller gets
`PolicyLimitExceeded`, which the policy services turn into a refusal naming the policy
(fail closed). Workers write nothing to the server's output: a module's `print()` goes
nowhere.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from spacegate.policies import rego

log = logging.getLogger(__name__)

_CONTEXT = multiprocessing.get_context("spawn")

STARTUP_SECONDS = 60.0
"""How long a new worker may take to start and say it is ready."""


class PolicyLimitExceeded(Exception):
    """A module ran past the deadline or the memory bound; `message` says which."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _serve(connection: Connection, memory_bytes: int) -> None:
    """A worker's life: limits first, then one request at a time until told to stop."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # print() of a module, and anything rego-cpp writes
    os.dup2(devnull, 2)
    operations: dict[str, Callable[..., Any]] = {
        "deny": rego.deny_messages,
        "check": rego.check_module,
    }
    connection.send(("ready", None))
    while True:
        try:
            request = connection.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        operation, arguments = request
        try:
            answer: tuple[str, Any] = ("ok", operations[operation](*arguments))
        except rego.RegoFailure as failure:
            answer = ("failure", failure.message)
        except MemoryError:
            answer = ("memory", None)
        except Exception as error:  # the engine's own errors: fail closed, say what
            answer = ("failure", f"{type(error).__name__}: {error}")
        try:
            connection.send(answer)
        except (OSError, ValueError):
            return


class _Worker:
    def __init__(self, memory_bytes: int) -> None:
        ours, theirs = _CONTEXT.Pipe()
        self.connection: Connection = ours
        self.process: BaseProcess = _CONTEXT.Process(
            target=_serve, args=(theirs, memory_bytes), name="policy-worker", daemon=True
        )
        self.process.start()
        theirs.close()
        try:
            ready = ours.poll(STARTUP_SECONDS) and ours.recv() == ("ready", None)
        except (EOFError, OSError):
            ready = False
        if not ready:
            self.kill()
            raise PolicyLimitExceeded(
                f"no policy worker could be started within {STARTUP_SECONDS:g} seconds"
            )

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.connection.close()

    def stop(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.connection.send(None)
        self.process.join(2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(2)
        self.connection.close()


class PolicyEvaluator:
    """Up to `workers` worker processes, started when first needed and kept warm."""

    def __init__(self, *, workers: int, timeout_seconds: float, memory_mib: int) -> None:
        self.timeout = timeout_seconds
        self.memory_mib = memory_mib
        self._memory_bytes = memory_mib * 1024 * 1024
        self._size = workers
        self._idle: list[_Worker] = []
        self._started = 0
        self._closed = False
        self._available = threading.Condition()

    # -- what the policy services call ----------------------------------------------------

    def deny_messages(
        self, source: str, package: str, data: dict[str, Any], input_document: dict[str, Any]
    ) -> list[str]:
        """`rego.deny_messages` in a worker. Raises RegoFailure, PolicyLimitExceeded."""
        messages: list[str] = self._call("deny", (source, package, data, input_document))
        return messages

    def check_module(self, source: str, data: dict[str, Any], sample: dict[str, Any]) -> str:
        """`rego.check_module` in a worker, its `deny` evaluated on `sample` too: a module
        that exceeds the limits on a sample input is refused when saved. Raises
        RegoFailure, PolicyLimitExceeded."""
        package: str = self._call("check", (source, data))
        self._call("deny", (source, package, data, sample))
        return package

    def close(self) -> None:
        with self._available:
            self._closed = True
            idle, self._idle = self._idle, []
            self._available.notify_all()
        for worker in idle:
            worker.stop()

    # -- the pool ------------------------------------------------------------------------

    def _take(self) -> _Worker:
        with self._available:
            while True:
                if self._closed:
                    raise PolicyLimitExceeded("the policy evaluator is shutting down")
                if self._idle:
                    return self._idle.pop()
                if self._started < self._size:
                    self._started += 1
                    break
                self._available.wait()
        try:
            return _Worker(self._memory_bytes)
        except Exception:
            with self._available:
                self._started -= 1
                self._available.notify()
            raise

    def _give_back(self, worker: _Worker | None) -> None:
        with self._available:
            if worker is None or self._closed:
                self._started -= 1
            else:
                self._idle.append(worker)
            self._available.notify()
        if worker is not None and self._closed:
            worker.stop()

    def _call(self, operation: str, arguments: tuple[Any, ...]) -> Any:
        worker: _Worker | None = self._take()
        assert worker is not None
        try:
            worker.connection.send((operation, arguments))
            if not worker.connection.poll(self.timeout):
                log.warning("a policy ran past %s s; its worker is replaced", self.timeout)
                worker.kill()
                worker = None
                raise PolicyLimitExceeded(
                    f"it ran longer than {self.timeout:g} seconds, the most a policy may run"
                )
            try:
                status, value = worker.connection.recv()
            except (EOFError, OSError):
                log.warning("a policy's worker died (memory bound); it is replaced")
                worker.kill()
                worker = None
                raise PolicyLimitExceeded(self._memory_message()) from None
        except (OSError, ValueError):
            if worker is not None:
                worker.kill()
                worker = None
            raise PolicyLimitExceeded(self._memory_message()) from None
        finally:
            self._give_back(worker)
        if status == "ok":
            return value
        if status == "memory":
            raise PolicyLimitExceeded(self._memory_message())
        raise rego.RegoFailure(str(value))

    def _memory_message(self) -> str:
        return f"it needed more than {self.memory_mib} MiB of memory, the most a policy may use"
