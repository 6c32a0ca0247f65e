"""The stack's CloudWatch log groups: one retention and removal policy for all."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs
from constructs import Construct

LOG_RETENTION = logs.RetentionDays.ONE_MONTH


def retained_log_group(scope: Construct, construct_id: str) -> logs.LogGroup:
    """A log group kept a month and deleted with the stack (logs hold no data)."""
    return logs.LogGroup(
        scope,
        construct_id,
        retention=LOG_RETENTION,
        removal_policy=RemovalPolicy.DESTROY,
    )
