"""The prediction API two ways, from the same image: an HTTP API in front of the
``api`` Lambda function (billed per request), and an ECS Fargate service behind an
Application Load Balancer (billed per hour, no cold start; context ``fargate``).
"""

from __future__ import annotations

import json

from aws_cdk import Duration, Stack, Token
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_ecs_patterns as ecs_patterns
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk.aws_apigatewayv2_integrations import HttpLambdaIntegration
from constructs import Construct

from criptos.aws.access import Access
from criptos_cdk.log_groups import retained_log_group
from criptos_cdk.nag import acknowledge, wildcard_resource
from criptos_cdk.permissions import grant_s3

CONTAINER_PORT = 8080
HEALTH_PATH = "/health"  # liveness: 200 as soon as the server runs, models or not
# One field per request, as API Gateway's $context variables name them.
ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "integrationLatency": "$context.integrationLatency",
    "integrationError": "$context.integrationErrorMessage",
}
PUBLIC_API_REASON = (
    "The prediction API is public and read-only by design (GET /predict, /models, "
    "/health, GraphQL queries); its only mutating route, POST /admin/reload, checks "
    "a bearer token (CRIPTOS_API_ADMIN_TOKEN) and is off unless one is set."
)


class HttpApi(Construct):
    """``api``: every route of the HTTP API ($default) to the ``api`` function."""

    def __init__(
        self, scope: Construct, construct_id: str, *, function: lambda_.IFunction
    ) -> None:
        super().__init__(scope, construct_id)
        log_group = retained_log_group(self, "AccessLogs")
        self.api = apigw.HttpApi(
            self,
            "Api",
            description="criptos prediction API (the api Lambda function)",
            default_integration=HttpLambdaIntegration("Function", function),
        )
        stage = self.api.default_stage.node.default_child
        stage.access_log_settings = apigw.CfnStage.AccessLogSettingsProperty(
            destination_arn=log_group.log_group_arn,
            format=json.dumps(ACCESS_LOG_FORMAT),
        )
        acknowledge(self.api, "AwsSolutions-APIG4", PUBLIC_API_REASON)


class FargateApi(Construct):
    """``service``: the image's ``api`` command on Fargate, behind a public ALB.

    The VPC has two AZs of public subnets only: the tasks get public IPs to pull the
    image and reach S3 (through a gateway endpoint), so no NAT gateway is billed;
    their security group admits only the load balancer.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        repository: ecr.IRepository,
        image_tag: str,
        bucket_name: str,
        access: Access,
        environment: dict[str, str],
        logs_bucket: s3.IBucket,
    ) -> None:
        super().__init__(scope, construct_id)
        vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=2,
            nat_gateways=0,
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name="public", subnet_type=ec2.SubnetType.PUBLIC
                )
            ],
            gateway_endpoints={
                "S3": ec2.GatewayVpcEndpointOptions(
                    service=ec2.GatewayVpcEndpointAwsService.S3
                )
            },
        )
        if not Token.is_unresolved(Stack.of(self).region):
            acknowledge(
                vpc,
                "CloudFormation-Validate::W3010",
                "The zones are the context's availability_zones, given with the "
                "region so that nothing is looked up in the account at synth.",
            )
        vpc.add_flow_log(
            "FlowLogs",
            destination=ec2.FlowLogDestination.to_s3(logs_bucket, "vpc-flow-logs/"),
        )
        cluster = ecs.Cluster(
            self,
            "Cluster",
            vpc=vpc,
            container_insights_v2=ecs.ContainerInsights.ENABLED,
        )
        task_role = iam.Role(
            self,
            "TaskRole",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            description="criptos API task: reads the models and features prefixes",
        )
        grant_s3(task_role, bucket_name, access)
        log_group = retained_log_group(self, "Logs")
        self.service = ecs_patterns.ApplicationLoadBalancedFargateService(
            self,
            "Service",
            cluster=cluster,
            cpu=1024,
            memory_limit_mib=2048,
            desired_count=1,
            public_load_balancer=True,
            assign_public_ip=True,
            task_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
            circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
            health_check_grace_period=Duration.seconds(120),
            task_image_options=ecs_patterns.ApplicationLoadBalancedTaskImageOptions(
                image=ecs.ContainerImage.from_ecr_repository(repository, image_tag),
                command=["api"],
                container_port=CONTAINER_PORT,
                environment={**environment, "PORT": str(CONTAINER_PORT)},
                task_role=task_role,
                log_driver=ecs.LogDrivers.aws_logs(
                    stream_prefix="api", log_group=log_group
                ),
            ),
        )
        self.service.target_group.configure_health_check(
            path=HEALTH_PATH, healthy_http_codes="200"
        )
        if Token.is_unresolved(Stack.of(self).region):
            # The bucket policy names the region's ELB log-delivery account.
            acknowledge(
                self.service.load_balancer,
                "AwsSolutions-ELB2",
                "An environment-agnostic synth knows no region, and the load "
                "balancer's log delivery is a per-region principal: synthesize with "
                "-c region=<region> (or CDK_DEFAULT_REGION) and its access logs go "
                "to the log bucket.",
            )
        else:
            self.service.load_balancer.log_access_logs(logs_bucket, "alb")
        self._acknowledge()

    def _acknowledge(self) -> None:
        acknowledge(
            self.service.load_balancer,
            "AwsSolutions-EC23",
            "The load balancer serves the public prediction API: its security group "
            "admits the internet on the listener port only; the tasks admit only it.",
        )
        acknowledge(
            self.service.task_definition,
            "AwsSolutions-ECS2",
            "The environment holds configuration only (bucket name, Kedro "
            "environment, port), no secret: the task role supplies the credentials.",
        )
        acknowledge(
            self.service.task_definition,
            wildcard_resource("*"),
            "ecr:GetAuthorizationToken, which the execution role needs to pull the "
            "image, supports no resource-level permission; the layer and image reads "
            "are on the repository's ARN.",
        )
