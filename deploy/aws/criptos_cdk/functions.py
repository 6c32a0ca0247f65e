"""The Lambda functions, all from the one image: a stage function per ``STAGES`` entry
and the API, each with its own role, log group and S3 prefixes.

Every function is ``DockerImageCode.from_ecr`` of the pushed image with its
handler as the command (``criptos.aws.handlers.train``): the image's entrypoint
hands it to ``awslambdaric``. The roles hold no managed policy: each may write its
own log group and touch the prefixes ``criptos.aws.access`` derives for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from criptos.aws.access import Access, BucketLayout, api_access, stage_access
from criptos.aws.stages import STAGES
from criptos.aws.state_machine import function_name
from criptos_cdk.log_groups import retained_log_group
from criptos_cdk.permissions import grant_s3

API_HANDLER = "criptos.aws.handlers.api"


@dataclass(frozen=True)
class FunctionSpec:
    """One function: its handler, what it may touch in the bucket, its size."""

    name: str  # the construct id and the handler's name
    handler_path: str
    access: Access
    memory_mb: int
    timeout_seconds: int


def function_specs(layout: BucketLayout, params: Any) -> list[FunctionSpec]:
    """One spec per stage of ``STAGES`` (sized by ``deploy.functions.<handler>``),
    then the API's (``deploy.api``)."""
    specs = []
    for stage in STAGES:
        size = params.functions[stage.handler]
        specs.append(
            FunctionSpec(
                stage.handler,
                stage.handler_path,
                stage_access(stage, layout),
                int(size.memory_mb),
                int(size.timeout_seconds),
            )
        )
    specs.append(
        FunctionSpec(
            "api",
            API_HANDLER,
            api_access(layout),
            int(params.api.memory_mb),
            int(params.api.timeout_seconds),
        )
    )
    return specs


def execution_role(
    scope: Construct, construct_id: str, log_group: logs.LogGroup
) -> iam.Role:
    """A role Lambda assumes that may write ``log_group`` and nothing else yet."""
    role = iam.Role(
        scope,
        construct_id,
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description="criptos Lambda function: its log group and its S3 prefixes",
    )
    # Instead of the managed AWSLambdaBasicExecutionRole (logs on every group).
    role.add_to_policy(
        iam.PolicyStatement(
            sid="OwnLogGroup",
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[log_group.log_group_arn],
        )
    )
    return role


class Functions(Construct):
    """``by_name``: the stage functions by handler name (``feature_job``...) and ``api``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        repository: ecr.IRepository,
        image_tag: str,
        bucket_name: str,
        specs: list[FunctionSpec],
        environment: dict[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        self.by_name: dict[str, lambda_.DockerImageFunction] = {}
        for spec in specs:
            log_group = retained_log_group(self, f"{spec.name}-logs")
            role = execution_role(self, f"{spec.name}-role", log_group)
            grant_s3(role, bucket_name, spec.access)
            self.by_name[spec.name] = lambda_.DockerImageFunction(
                self,
                spec.name,
                # criptos-feature-job...: the names `criptos deploy asl` puts in its ARNs.
                function_name=function_name(spec.name),
                description=f"criptos {spec.handler_path}",
                code=lambda_.DockerImageCode.from_ecr(
                    repository, tag_or_digest=image_tag, cmd=[spec.handler_path]
                ),
                memory_size=spec.memory_mb,
                timeout=Duration.seconds(spec.timeout_seconds),
                role=role,
                log_group=log_group,
                environment=environment,
            )
