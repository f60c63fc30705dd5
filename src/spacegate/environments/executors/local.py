"""The local executor: records what a grain would create, and calls nothing outside.

One resource record per grain, carrying the environment's resolved tags and the grain's
hourly cost; the grain's declared outputs get stable placeholder values
(`local://<environment>/<grain>/<output>`), or the value of the grain input of the same
name. It is the default for every grain kind, and what tests and demos run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spacegate.db import utcnow
from spacegate.environments.executors.base import GrainJob, GrainResult, resource_record
from spacegate.environments.plan import grain_output_names


class LocalExecutor:
    name = "local"

    def handles(self, kind: str) -> bool:
        return True

    def deploy(self, job: GrainJob) -> GrainResult:
        outputs = {
            name: job.inputs.get(name, f"local://{job.environment_id}/{job.grain}/{name}")
            for name in grain_output_names(job.spec)
        }
        resource = resource_record(
            job, self.name, {"inputs": sorted(job.inputs)}, utcnow().isoformat()
        )
        resource["outputs"] = outputs
        log = f"[local] grain '{job.grain}' ({job.kind}) recorded with {len(job.tags)} tags.\n"
        return GrainResult(resource, outputs, log)

    def destroy(self, job: GrainJob, resource: Mapping[str, Any]) -> str:
        return f"[local] grain '{job.grain}' removed.\n"
