"""The one small interface every executor implements, and what passes through it.

An executor deploys and destroys one grain. It gets a `GrainJob` (the grain's kind,
spec, rendered inputs, the environment's resolved tags, a work directory of its own),
and answers a `GrainResult`: the resource record kept on the environment and the
grain's outputs. A failure raises `ExecutorError` with a sentence and the executor's log,
which the environment keeps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


class ExecutorError(Exception):
    """A grain could not be deployed or destroyed; `log` is what the executor printed."""

    def __init__(self, message: str, log: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.log = log


@dataclass(frozen=True)
class GrainJob:
    environment_id: str
    environment_name: str
    grain: str
    kind: str
    spec: Mapping[str, Any]
    inputs: Mapping[str, str]
    tags: Mapping[str, str]
    cost_per_hour: float
    work_dir: Path
    # Writes the grain's source folder (from its repository, at the launched commit)
    # into the directory given; only executors that run code call it.
    fetch_source: Callable[[Path], None]
    # Environment variables for the tool (cloud credentials); never logged.
    secret_env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class GrainResult:
    resource: dict[str, Any]
    outputs: dict[str, str]
    log: str = ""


class Executor(Protocol):
    name: str

    def handles(self, kind: str) -> bool:
        """Whether this executor deploys grains of `kind`."""
        ...

    def deploy(self, job: GrainJob) -> GrainResult:
        """Create the grain's resources. Raises ExecutorError."""
        ...

    def destroy(self, job: GrainJob, resource: Mapping[str, Any]) -> str:
        """Remove what `deploy` made (its `resource` record); answers the log. Raises
        ExecutorError."""
        ...


def resource_record(
    job: GrainJob, executor: str, attributes: dict[str, Any], created_at: str
) -> dict[str, Any]:
    """The record kept on the environment for one deployed grain."""
    return {
        "id": f"{job.environment_id}-{job.grain}",
        "grain": job.grain,
        "name": job.grain,
        "type": job.kind,
        "executor": executor,
        "tags": dict(job.tags),
        "cost_per_hour": job.cost_per_hour,
        "attributes": attributes,
        "created_at": created_at,
        "removed_at": None,
    }
