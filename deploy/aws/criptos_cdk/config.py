"""What the app is told: CDK context values and the project's ``deploy`` parameters.

Context (``cdk deploy -c bucket_name=my-bucket``, or ``CDK_CONTEXT_JSON`` when the
app runs as ``python app.py``), every value optional:

- ``bucket_name`` (``criptos-data``): the data bucket, created by the stack unless
  ``import_bucket`` is true (then an existing bucket of that name is used as is);
- ``repository_name`` (``criptos``) and ``image_tag`` (``latest``, or a digest
  ``sha256:...``): the ECR repository the image was pushed to, imported, never created;
- ``fargate`` (true): also run the API as an ECS Fargate service behind a load
  balancer (billed per hour, unlike the Lambda API);
- ``nag_acknowledge`` (true): false skips the cdk-nag acknowledgments, so the synth
  fails listing every finding they cover (an audit; ``criptos_cdk.nag``);
- ``kedro_env`` (``s3``): the Kedro environment whose catalog the IAM policies are
  derived from and whose parameters (``deploy``) size the functions.

The ``deploy`` parameters (schedule, retries, timeouts, memory) are read from the
project's ``conf/`` by its own Kedro config loader, so the state machine printed by
``criptos deploy asl`` and the one deployed here come from one source. Nothing is
looked up in an AWS account: the stack is environment-agnostic unless ``account``
and ``region`` are given (context, or ``CDK_DEFAULT_ACCOUNT``/``CDK_DEFAULT_REGION``).
A stack with a region then also needs ``availability_zones`` (two, comma-separated,
e.g. ``eu-west-1a,eu-west-1b``) for the Fargate VPC, which CDK would otherwise look
up in the account; in return the load balancer's access logs are on (their bucket
policy names the region's log-delivery principal).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from constructs import Construct

PROJECT_ROOT = Path(__file__).resolve().parents[3]
TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


def _flag(value: Any, name: str) -> bool:
    """A context flag: a JSON boolean, or its text (``-c fargate=false``)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ValueError(f"context {name}={value!r}: expected true or false")


@dataclass(frozen=True)
class AppConfig:
    """The app's context values, with their defaults."""

    bucket_name: str = "criptos-data"
    import_bucket: bool = False
    repository_name: str = "criptos"
    image_tag: str = "latest"
    fargate: bool = True
    nag_acknowledge: bool = True
    kedro_env: str = "s3"
    account: str | None = None
    region: str | None = None
    availability_zones: tuple[str, ...] = ()

    @classmethod
    def from_context(cls, scope: Construct) -> AppConfig:
        """Read every field from the context of ``scope`` (the app)."""

        def get(name: str) -> Any:
            return scope.node.try_get_context(name)

        values: dict[str, Any] = {}
        for name in ("bucket_name", "repository_name", "image_tag", "kedro_env"):
            if get(name) not in (None, ""):
                values[name] = str(get(name))
        for name in ("import_bucket", "fargate", "nag_acknowledge"):
            if get(name) is not None:
                values[name] = _flag(get(name), name)
        values["account"] = get("account") or os.environ.get("CDK_DEFAULT_ACCOUNT")
        values["region"] = get("region") or os.environ.get("CDK_DEFAULT_REGION")
        zones = get("availability_zones") or ()
        if isinstance(zones, str):
            zones = [zone.strip() for zone in zones.split(",") if zone.strip()]
        values["availability_zones"] = tuple(zones)
        config = cls(**values)
        if config.region and config.fargate and len(config.availability_zones) < 2:
            raise ValueError(
                f"region {config.region} given: also give two of its availability "
                f"zones (-c availability_zones={config.region}a,{config.region}b), "
                "or CDK would look them up in the account"
            )
        return config


def project_loader(env: str, project_path: Path = PROJECT_ROOT) -> Any:
    """The project's Kedro config loader (``settings.py``: its class and arguments)."""
    from criptos import settings  # noqa: PLC0415 (settings imports the hooks)

    return settings.CONFIG_LOADER_CLASS(
        conf_source=str(project_path / settings.CONF_SOURCE),
        env=env,
        **settings.CONFIG_LOADER_ARGS,
    )


def deploy_params(env: str, project_path: Path = PROJECT_ROOT) -> Any:
    """The ``deploy`` parameters of ``env``, validated by ``DeployParams``."""
    from criptos.aws.access import isolated_resolvers  # noqa: PLC0415
    from criptos.aws.params import DeployParams  # noqa: PLC0415

    with isolated_resolvers():
        parameters = project_loader(env, project_path)["parameters"]
    if "deploy" not in parameters:
        raise ValueError(
            f"no deploy parameters in {project_path / 'conf'} (env {env}): "
            "see conf/base/parameters_deploy.yml"
        )
    return DeployParams.of(parameters["deploy"])
