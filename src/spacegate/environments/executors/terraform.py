"""The terraform executor: `terraform init / apply / destroy` for `kind: terraform`
grains, in a work directory per environment and grain under the data directory.

The grain's source folder is written into the work directory; its rendered inputs and
the environment's resolved tags (as the `tags` variable) go into
`spacegate.auto.tfvars.json`, so a module that declares `variable "tags"` gets them (an
undeclared one is only a warning). State stays in the work directory until the grain is
destroyed. Outputs are read with `terraform output -json`; sensitive ones are masked.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from typing import Any

from spacegate.db import utcnow
from spacegate.environments.executors.base import (
    ExecutorError,
    GrainJob,
    GrainResult,
    resource_record,
)
from spacegate.environments.plan import MASK

VARS_FILE = "spacegate.auto.tfvars.json"
MAX_LOG = 64 * 1024


def find_terraform(binary: str = "terraform") -> str | None:
    """The terraform binary's path, or None when it is not installed."""
    return shutil.which(binary)


class TerraformExecutor:
    name = "terraform"

    def __init__(self, binary: str, timeout_seconds: float) -> None:
        self.binary = binary
        self.timeout = timeout_seconds

    def handles(self, kind: str) -> bool:
        return kind == "terraform"

    def _run(self, job: GrainJob, args: Sequence[str], log: list[str]) -> str:
        # The server's own settings (database URL, installation secret, SMTP password)
        # are not the blueprint's business: terraform runs code from the repository.
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("SPACEGATE_")}
        env = {
            **inherited,
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "CHECKPOINT_DISABLE": "1",
            **job.secret_env,
        }
        command = [self.binary, *args]
        log.append(f"$ terraform {' '.join(args)}\n")
        try:
            done = subprocess.run(
                command,
                cwd=job.work_dir,
                env=env,
                capture_output=True,
                text=True,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            log.append(f"(stopped after {self.timeout:g} s)\n")
            raise ExecutorError(
                f"terraform {args[0]} of grain '{job.grain}' took longer than "
                f"{self.timeout:g} seconds and was stopped.",
                "".join(log),
            ) from None
        except OSError as error:
            raise ExecutorError(
                f"terraform could not be started: {error.strerror or error}.", "".join(log)
            ) from None
        log.append(done.stdout)
        if done.stderr:
            log.append(done.stderr)
        if done.returncode != 0:
            reason = _last_error(done.stderr or done.stdout)
            raise ExecutorError(
                f"terraform {args[0]} of grain '{job.grain}' failed (exit {done.returncode})"
                + (f": {reason}" if reason else "."),
                "".join(log),
            )
        return done.stdout

    def _prepare(self, job: GrainJob, log: list[str]) -> None:
        job.work_dir.mkdir(parents=True, exist_ok=True)
        if not any(job.work_dir.glob("*.tf")):
            try:
                job.fetch_source(job.work_dir)
            except ExecutorError as error:
                raise ExecutorError(error.message, "".join(log) + error.log) from None
        variables: dict[str, Any] = {**job.inputs, "tags": dict(job.tags)}
        (job.work_dir / VARS_FILE).write_text(json.dumps(variables, indent=2))
        self._run(job, ["init", "-input=false", "-no-color"], log)

    def deploy(self, job: GrainJob) -> GrainResult:
        log: list[str] = []
        self._prepare(job, log)
        self._run(job, ["apply", "-auto-approve", "-input=false", "-no-color"], log)
        raw = self._run(job, ["output", "-json", "-no-color"], log)
        outputs = _outputs(raw)
        addresses = _addresses(self._run(job, ["show", "-json", "-no-color"], []))
        resource = resource_record(
            job,
            self.name,
            {"addresses": addresses},
            utcnow().isoformat(),
        )
        resource["outputs"] = outputs
        return GrainResult(resource, outputs, _cap("".join(log)))

    def destroy(self, job: GrainJob, resource: Mapping[str, Any]) -> str:
        log: list[str] = []
        if not job.work_dir.exists():
            raise ExecutorError(
                f"The work directory of grain '{job.grain}' is gone; its terraform state "
                "cannot be read, so its resources cannot be destroyed.",
            )
        self._prepare(job, log)
        self._run(job, ["destroy", "-auto-approve", "-input=false", "-no-color"], log)
        return _cap("".join(log))


def _cap(text: str) -> str:
    return text if len(text) <= MAX_LOG else "...\n" + text[-MAX_LOG:]


def _last_error(text: str) -> str:
    """The first `Error: ...` line terraform printed, as a short reason."""
    for line in text.splitlines():
        cleaned = line.strip("│╷╵ \t")
        if cleaned.startswith("Error:"):
            reason = cleaned.removeprefix("Error:").strip()
            return reason if reason.endswith(".") else reason + "."
    return ""


def _outputs(raw: str) -> dict[str, str]:
    try:
        data = json.loads(raw or "{}")
    except json.JSONDecodeError:
        return {}
    found: dict[str, str] = {}
    for name, entry in data.items() if isinstance(data, dict) else ():
        if not isinstance(entry, dict):
            continue
        value = entry.get("value")
        if entry.get("sensitive"):
            found[name] = MASK
        elif isinstance(value, str):
            found[name] = value
        else:
            found[name] = json.dumps(value)
    return found


def _addresses(raw: str) -> list[str]:
    try:
        state = json.loads(raw or "{}")
    except json.JSONDecodeError:
        return []
    found: list[str] = []

    def walk(module: Any) -> None:
        if not isinstance(module, dict):
            return
        for resource in module.get("resources") or []:
            if isinstance(resource, dict) and isinstance(resource.get("address"), str):
                found.append(resource["address"])
        for child in module.get("child_modules") or []:
            walk(child)

    walk((state.get("values") or {}).get("root_module") if isinstance(state, dict) else None)
    return found
