"""The criptos stack: the production shape of the project on AWS, from one image.

- the data bucket (created, or imported with context ``import_bucket=true``) and a
  log bucket;
- one Lambda function per stage of ``criptos.aws.stages.STAGES`` and one for the
  API, all from the image in the (imported) ECR repository;
- the Step Functions state machine Feature -> Train -> Export
  (``criptos.aws.state_machine``), started daily by an EventBridge rule; an upload
  of ``raw/raw.csv`` runs the feature job alone (created bucket only);
- the API behind an HTTP API, and the same image as a Fargate service (context
  ``fargate``, default true);
- a Glue job running the feature engineering on Spark (when its entry script
  ``deploy/aws/glue/feature_job.py`` is in the tree).

Each role holds the S3 prefixes ``criptos.aws.access`` derives from the pipelines
and the ``s3`` catalog, and nothing outside the bucket (the Glue role also reads its
script's asset object).
"""

from __future__ import annotations

import json

from aws_cdk import CfnOutput, Environment, Stack
from aws_cdk import aws_ecr as ecr
from constructs import Construct

from criptos.aws.access import BucketLayout, api_access, bucket_layout, stage_access
from criptos.aws.glue import KEDRO_ENV as GLUE_ENV
from criptos.aws.stages import stage_of_handler
from criptos_cdk.config import PROJECT_ROOT, AppConfig, deploy_params
from criptos_cdk.functions import Functions, function_specs
from criptos_cdk.glue_job import GlueFeatureJob, glue_script_exists
from criptos_cdk.orchestration import Orchestration
from criptos_cdk.storage import Storage
from criptos_cdk.web import FargateApi, HttpApi

BUCKET_ENV = "CRIPTOS_BUCKET"


class CriptosStack(Stack):
    """Everything above; ``config`` says which bucket, image and options."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: AppConfig
    ) -> None:
        self.config = config  # before super(): availability_zones reads it
        env = None
        if config.account or config.region:
            env = Environment(account=config.account, region=config.region)
        super().__init__(
            scope,
            construct_id,
            env=env,
            description="criptos: daily features, training and export on Lambda and "
            "Step Functions; the prediction API on an HTTP API and Fargate",
        )
        params = deploy_params(config.kedro_env)
        layout = bucket_layout(config.kedro_env, PROJECT_ROOT, config.bucket_name)
        self._check_bucket(layout)

        storage = Storage(
            self,
            "Storage",
            bucket_name=config.bucket_name,
            create=not config.import_bucket,
            logs=config.fargate,  # the load balancer's and the VPC's logs
        )
        repository = ecr.Repository.from_repository_name(
            self, "Repository", config.repository_name
        )
        functions = Functions(
            self,
            "Functions",
            repository=repository,
            image_tag=config.image_tag,
            bucket_name=config.bucket_name,
            specs=function_specs(layout, params),
            environment={BUCKET_ENV: config.bucket_name},
        )
        orchestration = Orchestration(
            self,
            "Orchestration",
            functions=functions.by_name,
            params=params,
            bucket_name=config.bucket_name,
            upload_events=storage.created,
        )
        http_api = HttpApi(self, "HttpApi", function=functions.by_name["api"])
        CfnOutput(self, "ApiUrl", value=http_api.api.api_endpoint)
        CfnOutput(
            self, "StateMachineArn", value=orchestration.state_machine.state_machine_arn
        )

        if config.fargate:
            fargate = FargateApi(
                self,
                "Fargate",
                repository=repository,
                image_tag=config.image_tag,
                bucket_name=config.bucket_name,
                access=api_access(layout),
                environment={
                    BUCKET_ENV: config.bucket_name,
                    "KEDRO_ENV": config.kedro_env,
                    "CRIPTOS_API_PARAMS": json.dumps({"bucket": config.bucket_name}),
                },
                logs_bucket=storage.logs,
            )
            CfnOutput(
                self,
                "FargateUrl",
                value=f"http://{fargate.service.load_balancer.load_balancer_dns_name}",
            )
        if glue_script_exists():
            glue_job = GlueFeatureJob(
                self,
                "Glue",
                bucket_name=config.bucket_name,
                # The glue environment's catalog: Spark's datasets on the same roots.
                access=stage_access(
                    stage_of_handler("feature_job"),
                    bucket_layout(GLUE_ENV, PROJECT_ROOT, config.bucket_name),
                ),
            )
            CfnOutput(self, "GlueJobName", value=glue_job.job.ref)

    @property
    def availability_zones(self) -> list[str]:
        """The context's zones when a region is given: CDK would look them up."""
        if self.config.availability_zones:
            return list(self.config.availability_zones)
        return super().availability_zones

    def _check_bucket(self, layout: BucketLayout) -> None:
        """The catalog's bucket is the context's (``--params bucket`` resolved)."""
        if layout.bucket != self.config.bucket_name:
            raise ValueError(
                f"the {self.config.kedro_env} catalog points at bucket {layout.bucket}, "
                f"not {self.config.bucket_name}"
            )
