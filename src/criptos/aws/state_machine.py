"""The production DAG as Amazon States Language, generated from ``criptos.aws.stages``.

One Task state per stage, in the stages' order (Feature -> Train -> Export), each
invoking its Lambda handler through Step Functions' optimized integration
(``arn:aws:states:::lambda:invoke``). The execution input (the daily EventBridge
``Scheduled Event``, or ``{"bucket": ..., "run_date": ...}`` given by hand) is the
first task's payload; each handler's JSON result (``$.Payload``: stage, pipeline,
bucket, run_date, run_id, model_version) is the next task's payload, so the bucket
and the run date resolved by the first stage flow through the whole run.

Retries come from ``deploy.retry``, except for ``HandlerInputError``: a refused event,
bucket or input fails the same way every time, so it goes straight to the failure
state. Any error left after the retries ends the execution in ``PublishingSkipped``:
nothing was published, because only a successful Export moves ``models/latest``
(written last, the previous one restored on a failure), so the API keeps serving
the previous version.

``criptos deploy asl`` prints the definition; the CDK app (``deploy/aws``) builds the
same definition with its functions' ARNs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from criptos.aws.events import HandlerInputError
from criptos.aws.handlers import StageFailed
from criptos.aws.params import DeployParams
from criptos.aws.stages import STAGES, Stage

LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
SUCCEEDED = "Published"
FAILED = "PublishingSkipped"
FAILED_ERROR = "CriptosRunFailed"
FAILED_CAUSE = (
    "A stage failed after its retries (its error is in the execution history): "
    "nothing was published and models/latest still names the previous version, "
    "which only a successful Export replaces."
)
# Step Functions' and Lambda's transient errors, the handlers' own StageFailed and
# States.TaskFailed for anything else a task raises (Lambda's out-of-memory or
# timeout included); HandlerInputError is matched first and never retried.
RETRIED_ERRORS = (
    StageFailed.__name__,
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.ClientExecutionTimeoutException",
    "Lambda.TooManyRequestsException",
    "States.Timeout",
    "States.TaskFailed",
)


def function_name(handler: str, prefix: str = "criptos") -> str:
    """The Lambda function's name of ``handler``: ``criptos-feature-job``."""
    return f"{prefix}-{handler.replace('_', '-')}"


def schedule_expression(params: DeployParams) -> str:
    """The EventBridge rule's schedule that starts the state machine (UTC)."""
    return params.schedule


def _retry(params: DeployParams) -> list[dict[str, Any]]:
    return [
        # Retriers are tried in order: the first match decides.
        {"ErrorEquals": [HandlerInputError.__name__], "MaxAttempts": 0},
        {
            "ErrorEquals": list(RETRIED_ERRORS),
            "IntervalSeconds": params.retry.interval_seconds,
            "MaxAttempts": params.retry.max_attempts,
            "BackoffRate": params.retry.backoff_rate,
        },
    ]


def _task(stage: Stage, arn: str, following: str, params: DeployParams) -> dict:
    return {
        "Type": "Task",
        "Comment": f"{stage.handler_path}: kedro run --pipelines "
        f"{','.join(stage.pipelines)} on the s3 environment",
        "Resource": LAMBDA_INVOKE,
        "Parameters": {"FunctionName": arn, "Payload.$": "$"},
        "OutputPath": "$.Payload",  # the handler's result, bucket and run_date in it
        "TimeoutSeconds": params.task_timeout_seconds,
        "Retry": _retry(params),
        # The failure state sees the failed stage's input and its error.
        "Catch": [
            {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": FAILED}
        ],
        "Next": following,
    }


def definition(function_arns: Mapping[str, str], params: DeployParams) -> dict:
    """The state machine of ``STAGES``; ``function_arns`` maps each handler to its ARN."""
    missing = [stage.handler for stage in STAGES if stage.handler not in function_arns]
    if missing:
        raise ValueError(f"no function ARN for the handler(s) {', '.join(missing)}")
    following = [stage.state for stage in STAGES[1:]] + [SUCCEEDED]
    states: dict[str, Any] = {
        stage.state: _task(stage, function_arns[stage.handler], after, params)
        for stage, after in zip(STAGES, following, strict=True)
    }
    states[SUCCEEDED] = {
        "Type": "Succeed",
        "Comment": "Export published a new version and moved models/latest to it.",
    }
    states[FAILED] = {"Type": "Fail", "Error": FAILED_ERROR, "Cause": FAILED_CAUSE}
    return {
        "Comment": "criptos daily run: "
        + " -> ".join(stage.state for stage in STAGES)
        + " (generated from criptos.aws.stages; criptos deploy asl)",
        "StartAt": STAGES[0].state,
        "States": states,
    }


def state_order(asl: Mapping[str, Any]) -> list[str]:
    """The states an execution passes through when every task succeeds, in order."""
    states = asl["States"]
    order = [asl["StartAt"]]
    while (following := states[order[-1]].get("Next")) is not None:
        if following in order:
            raise ValueError(f"the states loop back to {following}")
        order.append(following)
    return order
