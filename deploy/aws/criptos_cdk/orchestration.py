"""The DAG: the Step Functions state machine of ``criptos deploy asl``, its daily
schedule and the upload trigger of the feature job.

The definition is ``criptos.aws.state_machine.definition`` itself, given the
functions' ARNs (CDK tokens inside the JSON text, resolved by CloudFormation), so the
deployed ASL is the one the tests validate. The state machine's role may invoke
exactly those functions; it logs every execution to its log group and traces with
X-Ray.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from criptos.aws.events import RAW_KEY
from criptos.aws.stages import STAGES
from criptos.aws.state_machine import definition, schedule_expression
from criptos_cdk.log_groups import retained_log_group
from criptos_cdk.nag import acknowledge, wildcard_resource


class Orchestration(Construct):
    """``state_machine``, ``schedule`` (EventBridge rule) and ``upload_trigger``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: Mapping[str, lambda_.IFunction],
        params: Any,
        bucket_name: str,
        upload_events: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        stage_functions = [functions[stage.handler] for stage in STAGES]
        arns = {
            stage.handler: functions[stage.handler].function_arn for stage in STAGES
        }
        log_group = retained_log_group(self, "Logs")
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            comment="criptos daily run: Feature -> Train -> Export",
            definition_body=sfn.DefinitionBody.from_string(
                json.dumps(definition(arns, params), indent=2)
            ),
            logs=sfn.LogOptions(
                destination=log_group,
                level=sfn.LogLevel.ALL,
                include_execution_data=True,
            ),
            tracing_enabled=True,
        )
        # Exactly the stage functions (no ":*" of their versions and aliases).
        self.state_machine.add_to_role_policy(
            iam.PolicyStatement(
                sid="InvokeStages",
                actions=["lambda:InvokeFunction"],
                resources=[function.function_arn for function in stage_functions],
            )
        )
        acknowledge(
            self.state_machine,
            wildcard_resource("*"),
            "X-Ray's PutTraceSegments/PutTelemetryRecords/GetSampling* and CloudWatch "
            "Logs' log delivery actions (CreateLogDelivery, DescribeResourcePolicies...) "
            "support no resource-level permissions: CDK grants them on '*' for the "
            "state machine's tracing and logging.",
        )

        self.schedule = events.Rule(
            self,
            "Schedule",
            description="criptos daily run (deploy.schedule)",
            schedule=events.Schedule.expression(schedule_expression(params)),
            targets=[
                targets.SfnStateMachine(
                    self.state_machine,
                    input=events.RuleTargetInput.from_object({"bucket": bucket_name}),
                )
            ],
        )

        # An upload of raw/raw.csv runs the feature job alone (its handler accepts
        # EventBridge's "Object Created" form); only a bucket the stack created sends
        # these events.
        self.upload_trigger = None
        if upload_events:
            self.upload_trigger = events.Rule(
                self,
                "RawUpload",
                description=f"criptos feature job on an upload of {RAW_KEY}",
                event_pattern=events.EventPattern(
                    source=["aws.s3"],
                    detail_type=["Object Created"],
                    detail={
                        "bucket": {"name": [bucket_name]},
                        "object": {"key": [RAW_KEY]},
                    },
                ),
                targets=[targets.LambdaFunction(functions["feature_job"])],
            )
