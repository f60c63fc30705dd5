"""Running one claimed launch or end of an environment with the executors.

The worker (`spacegate.environments.worker`) claims an environment and hands it here.
A launch deploys the grains of its plan in order, saving each resource as soon as it
exists, so that an end always knows what to destroy; the first grain that fails stops
the launch (`Active With Error`, with the error and the executor's log). An end
destroys the resources in reverse order (`Ended`, or `Ended With Error` keeping what
failed). Every write checks that the claim is still this worker's.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from spacegate.blueprints import git
from spacegate.blueprints.models import Repository
from spacegate.blueprints.repositories import fetching, locate_allowed, open_token
from spacegate.cloudaccounts.models import CloudAccount
from spacegate.cloudaccounts.service import open_credentials
from spacegate.crypto import SecretBox
from spacegate.db import transaction, utcnow
from spacegate.environments.executors.base import (
    Executor,
    ExecutorError,
    GrainJob,
    resource_record,
)
from spacegate.environments.executors.local import LocalExecutor
from spacegate.environments.executors.terraform import TerraformExecutor, find_terraform
from spacegate.environments.models import Environment, EnvironmentStatus
from spacegate.environments.plan import MASK, Context, grain_inputs, render_text
from spacegate.environments.source import export_folder
from spacegate.settings import Settings

log = logging.getLogger("spacegate.environments")

WORK_DIR = "environments"
MAX_LOG = 256 * 1024


@dataclass(frozen=True)
class Job:
    environment_id: int
    claim: str
    status: str


@dataclass
class _Run:
    """What a launch or end works with, read once from the environment."""

    public_id: str
    name: str
    plan: dict[str, Any]
    inputs: dict[str, str]
    tags: dict[str, str]
    resources: list[dict[str, Any]]
    secret_env: dict[str, str]
    secrets: list[str]
    log: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            if len(secret) >= 4:
                text = text.replace(secret, MASK)
        return text


def work_root(settings: Settings, public_id: str) -> Path:
    return settings.data_dir / WORK_DIR / public_id


def _error(message: str, grain: str | None) -> dict[str, Any]:
    return {"grain": grain, "message": message, "time": utcnow().isoformat()}


def _cap(text: str) -> str:
    return text if len(text) <= MAX_LOG else "...\n" + text[-MAX_LOG:]


class Runner:
    def __init__(self, sessions: sessionmaker[Session], settings: Settings, box: SecretBox) -> None:
        self._sessions = sessions
        self._settings = settings
        self._box = box
        self._local = LocalExecutor()

    # -- executors ----------------------------------------------------------------------

    def _terraform(self) -> TerraformExecutor | None:
        binary = find_terraform(self._settings.terraform_binary)
        if binary is None:
            return None
        return TerraformExecutor(binary, self._settings.terraform_timeout_seconds)

    def executor_for(self, kind: str) -> Executor:
        """`kind: terraform` grains go to terraform when allowed and installed; every
        other grain to the local executor."""
        if self._settings.executor == "auto" and kind == "terraform":
            terraform = self._terraform()
            if terraform is not None:
                return terraform
        return self._local

    def _executor_named(self, name: str) -> Executor:
        if name == "terraform":
            terraform = self._terraform()
            if terraform is None:
                raise ExecutorError(
                    "The resource was made with terraform, which is no longer installed here."
                )
            return terraform
        return self._local

    # -- entry point ----------------------------------------------------------------------

    def run(self, job: Job) -> None:
        try:
            if job.status == EnvironmentStatus.LAUNCHING:
                self._launch(job)
            elif job.status == EnvironmentStatus.TERMINATING:
                self._end(job)
        except Exception as error:  # a bug must not leave the environment claimed forever
            log.exception("environment job %s failed", job)
            self._give_up(job, error)

    def _give_up(self, job: Job, error: Exception) -> None:
        launching = job.status == EnvironmentStatus.LAUNCHING
        with transaction(self._sessions) as session:
            environment = self._claimed(session, job)
            if environment is None:
                return
            environment.errors = [
                *environment.errors,
                _error(
                    f"An unexpected error stopped the {'launch' if launching else 'end'} "
                    f"({type(error).__name__}); it has been logged.",
                    None,
                ),
            ]
            environment.status = (
                EnvironmentStatus.ACTIVE_WITH_ERROR
                if launching
                else EnvironmentStatus.ENDED_WITH_ERROR
            )
            if not launching:
                environment.ended_at = utcnow()
            environment.claim = None
            environment.updated_at = utcnow()

    # -- reading and writing the environment ----------------------------------------------

    def _claimed(self, session: Session, job: Job) -> Environment | None:
        environment = session.scalar(
            select(Environment).where(Environment.id == job.environment_id).with_for_update()
        )
        if environment is None or environment.claim != job.claim:
            log.warning("environment %s is no longer claimed by this worker", job.environment_id)
            return None
        return environment

    def _read(self, job: Job) -> _Run | None:
        with transaction(self._sessions, write=False) as session:
            environment = session.get(Environment, job.environment_id)
            if environment is None or environment.claim != job.claim:
                return None
            secret_inputs: dict[str, str] = {}
            if environment.sensitive_inputs_sealed:
                secret_inputs = json.loads(self._box.open(environment.sensitive_inputs_sealed))
            secret_env = self._cloud_env(session, environment)
            return _Run(
                public_id=environment.public_id,
                name=environment.name,
                plan=dict(environment.plan),
                inputs={**environment.inputs, **secret_inputs},
                tags=dict(environment.tags),
                resources=[dict(resource) for resource in environment.resources],
                secret_env=secret_env,
                secrets=[*secret_inputs.values(), *secret_env.values()],
            )

    def _cloud_env(self, session: Session, environment: Environment) -> dict[str, str]:
        """The cloud account's credentials as the terraform providers read them."""
        if environment.cloud_account_id is None:
            return {}
        cloud = session.get(CloudAccount, environment.cloud_account_id)
        if cloud is None:
            return {}
        try:
            credentials = open_credentials(self._box, cloud)
        except ValueError:
            return {}
        details = cloud.details or {}
        region = details.get("default_region")
        env: dict[str, str] = {}
        if cloud.provider == "aws" and "access_key_id" in credentials:
            env["AWS_ACCESS_KEY_ID"] = credentials["access_key_id"]
            env["AWS_SECRET_ACCESS_KEY"] = credentials["secret_access_key"]
        elif cloud.provider == "azure":
            env["ARM_CLIENT_ID"] = credentials.get("client_id", "")
            env["ARM_CLIENT_SECRET"] = credentials.get("client_secret", "")
            env["ARM_TENANT_ID"] = details.get("tenant_id", "")
            env["ARM_SUBSCRIPTION_ID"] = details.get("subscription_id", "")
        elif cloud.provider == "gcp":
            env["GOOGLE_CREDENTIALS"] = credentials.get("service_account_key", "")
            env["GOOGLE_PROJECT"] = details.get("project_id", "")
        if region and cloud.provider == "aws":
            env["AWS_REGION"] = region
        return {key: value for key, value in env.items() if value}

    def _save(self, job: Job, run: _Run, **values: Any) -> bool:
        with transaction(self._sessions) as session:
            environment = self._claimed(session, job)
            if environment is None:
                return False
            # Still working: renew the lease, so that no other worker takes it up again.
            environment.claimed_at = utcnow()
            environment.resources = [dict(resource) for resource in run.resources]
            environment.errors = [*environment.errors, *run.errors]
            run.errors = []
            if run.log:
                environment.log = _cap(environment.log + run.scrub("".join(run.log)))
                run.log = []
            for key, value in values.items():
                setattr(environment, key, value)
            environment.updated_at = utcnow()
            return True

    # -- grains ---------------------------------------------------------------------------

    def _grain_job(self, run: _Run, grain: Mapping[str, Any], context: Context) -> GrainJob:
        spec = grain.get("spec") or {}
        return GrainJob(
            environment_id=run.public_id,
            environment_name=run.name,
            grain=grain["name"],
            kind=grain.get("kind") or "shell",
            spec=spec,
            inputs={key: render_text(value, context) for key, value in grain_inputs(spec).items()},
            tags=run.tags,
            cost_per_hour=float(grain.get("cost_per_hour") or 0.0),
            work_dir=work_root(self._settings, run.public_id) / grain["name"],
            fetch_source=lambda target: self._fetch(grain.get("source"), target),
            secret_env=run.secret_env,
        )

    def _fetch(self, source: Mapping[str, Any] | None, target: Path) -> None:
        if not source or not source.get("repository_id") or not source.get("path"):
            raise ExecutorError("The grain names no source folder (spec.source.path).")
        with transaction(self._sessions, write=False) as session:
            repository = session.get(Repository, source["repository_id"])
            if repository is None:
                raise ExecutorError(
                    f"The grain's repository '{source.get('repository_name')}' was removed."
                )
            try:
                token = open_token(self._box, repository)
            except ValueError:
                token = None
            url, branch, repository_id = repository.url, repository.branch, repository.id
        try:
            location = locate_allowed(url, self._settings)
        except git.GitError as error:
            raise ExecutorError(str(error)) from None
        export_folder(
            cache=git.cache_path(self._settings.data_dir, repository_id, url),
            location=location,
            branch=branch,
            token=token,
            fetching=fetching(self._settings),
            commit=source["commit"],
            folder=source["path"],
            target=target,
        )

    def _context(self, run: _Run) -> tuple[Context, dict[str, dict[str, str]]]:
        """The template context, and its grain outputs to add to as grains deploy."""
        outputs = {
            resource["grain"]: dict(resource.get("outputs") or {})
            for resource in run.resources
            if resource.get("removed_at") is None
        }
        return Context(run.inputs, outputs, run.public_id, run.name), outputs

    # -- launch ---------------------------------------------------------------------------

    def _launch(self, job: Job) -> None:
        run = self._read(job)
        if run is None:
            return
        run.log.append(f"== launch {utcnow().isoformat()}\n")
        context, grain_outputs = self._context(run)
        deployed = {resource["grain"] for resource in run.resources}
        failed = False
        for grain in run.plan.get("grains", []):
            if grain["name"] in deployed:
                continue  # a launch taken up again after its worker stopped
            grain_job = self._grain_job(run, grain, context)
            executor = self.executor_for(grain_job.kind)
            run.log.append(
                f"-- grain '{grain_job.grain}' ({grain_job.kind}) with {executor.name}\n"
            )
            try:
                result = executor.deploy(grain_job)
            except ExecutorError as error:
                run.log.append(error.log)
                run.errors.append(_error(run.scrub(error.message), grain_job.grain))
                # What a failed apply left behind is still destroyed at the end.
                record = resource_record(
                    grain_job, executor.name, {"failed": True}, utcnow().isoformat()
                )
                record["cost_per_hour"] = 0.0
                run.resources.append(record)
                failed = True
                break
            run.log.append(result.log)
            # Later grains' templates get the real outputs; what is kept (and shown to
            # every member of the space) never carries a sensitive input or credential.
            resource = dict(result.resource)
            if isinstance(resource.get("outputs"), dict):
                resource["outputs"] = {
                    key: run.scrub(value) if isinstance(value, str) else value
                    for key, value in resource["outputs"].items()
                }
            run.resources.append(resource)
            grain_outputs[grain_job.grain] = result.outputs
            if not self._save(job, run):
                return
        outputs: dict[str, str | None] = {
            entry["name"]: run.scrub(render_text(entry.get("value") or "", context))
            for entry in run.plan.get("outputs", [])
        }
        now = utcnow()
        with transaction(self._sessions) as session:
            environment = self._claimed(session, job)
            if environment is None:
                return
            environment.resources = run.resources
            environment.errors = [*environment.errors, *run.errors]
            environment.log = _cap(environment.log + run.scrub("".join(run.log)))
            environment.outputs = outputs
            environment.cost_per_hour = sum(
                float(resource.get("cost_per_hour") or 0.0) for resource in run.resources
            )
            environment.active_at = now
            environment.status = (
                EnvironmentStatus.ACTIVE_WITH_ERROR if failed else EnvironmentStatus.ACTIVE
            )
            if environment.end_requested_at is not None:
                environment.status = EnvironmentStatus.TERMINATING
            environment.claim = None
            environment.claimed_at = None
            environment.updated_at = now
        log.info("environment %s launched: %s", run.public_id, "with errors" if failed else "ok")

    # -- end ------------------------------------------------------------------------------

    def _end(self, job: Job) -> None:
        run = self._read(job)
        if run is None:
            return
        run.log.append(f"== end {utcnow().isoformat()}\n")
        context, _outputs = self._context(run)
        grains = {grain["name"]: grain for grain in run.plan.get("grains", [])}
        failed = False
        for resource in reversed(run.resources):
            if resource.get("removed_at") is not None:
                continue
            grain = grains.get(resource["grain"], {"name": resource["grain"], "kind": "shell"})
            grain_job = self._grain_job(run, grain, context)
            try:
                executor = self._executor_named(resource.get("executor") or "local")
                run.log.append(executor.destroy(grain_job, resource))
            except ExecutorError as error:
                run.log.append(error.log)
                run.errors.append(_error(run.scrub(error.message), grain_job.grain))
                failed = True
                continue
            resource["removed_at"] = utcnow().isoformat()
            if not self._save(job, run):
                return
        now = utcnow()
        status = EnvironmentStatus.ENDED_WITH_ERROR if failed else EnvironmentStatus.ENDED
        if not failed:
            # Destroyed: nothing of it stays on disk, by the time anyone reads it ended.
            shutil.rmtree(work_root(self._settings, run.public_id), ignore_errors=True)
        if not self._save(job, run, status=status, ended_at=now, claim=None, claimed_at=None):
            return
        log.info("environment %s ended: %s", run.public_id, status.value)
