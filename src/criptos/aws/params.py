"""Typed ``deploy`` parameters (``conf/base/parameters_deploy.yml``).

One source for everything generated for AWS: the state machine's schedule, retries
and timeouts (``criptos.aws.state_machine``) and the Lambda functions' memory and
timeouts (the CDK app in ``deploy/aws``). Checked here, offline, against the limits
AWS would only enforce at deploy time: a task timeout at or above Lambda's 900 s, a
function that could outlive its task (a retry would then run the stage twice at
once), an EventBridge cron that is not six fields.
"""

from __future__ import annotations

import difflib
import re
from typing import Annotated, Any

from pydantic import Field, Strict, field_validator, model_validator

from criptos.aws.stages import STAGES
from criptos.config.schema import ParamsModel, parse_params

LAMBDA_MAX_TIMEOUT_SECONDS = 900  # Lambda's hard limit for one invocation
HTTP_API_MAX_TIMEOUT_SECONDS = 30  # API Gateway HTTP API's integration limit
CRON = re.compile(r"^cron\((?P<fields>[^()]*)\)$")
CRON_FIELDS = ("minutes", "hours", "day-of-month", "month", "day-of-week", "year")

PositiveInt = Annotated[int, Strict(), Field(ge=1)]
# Lambda's memory setting: 128 MB to 10,240 MB.
MemoryMb = Annotated[int, Strict(), Field(ge=128, le=10240)]


class RetryParams(ParamsModel):
    """Each Task state's ``Retry``, in Step Functions' own terms."""

    # Retries after the first try (3: up to 4 tries); at least one.
    max_attempts: PositiveInt = 3
    interval_seconds: PositiveInt = 60
    backoff_rate: Annotated[float, Field(ge=1.0, allow_inf_nan=False)] = 2.0


class FunctionParams(ParamsModel):
    """One Lambda function's size and time limit."""

    memory_mb: MemoryMb = 1024
    timeout_seconds: Annotated[
        int, Strict(), Field(ge=1, lt=LAMBDA_MAX_TIMEOUT_SECONDS)
    ] = 600


class ApiFunctionParams(ParamsModel):
    """The API's function: API Gateway stops waiting after 30 s."""

    memory_mb: MemoryMb = 1024
    timeout_seconds: Annotated[
        int, Strict(), Field(ge=1, le=HTTP_API_MAX_TIMEOUT_SECONDS)
    ] = 30


def _default_functions() -> dict[str, FunctionParams]:
    return {stage.handler: FunctionParams() for stage in STAGES}


class DeployParams(ParamsModel):
    """The schedule, retries and timeouts of the DAG and its functions' sizes."""

    # EventBridge cron expression, UTC (see parameters_deploy.yml).
    schedule: str = "cron(30 2 * * ? *)"
    retry: RetryParams = RetryParams()
    # Step Functions' TimeoutSeconds on each Task state.
    task_timeout_seconds: Annotated[
        int, Strict(), Field(ge=1, lt=LAMBDA_MAX_TIMEOUT_SECONDS)
    ] = 870
    # One per stage handler (criptos.aws.stages); a handler left out gets defaults.
    functions: dict[str, FunctionParams] = Field(default_factory=_default_functions)
    api: ApiFunctionParams = ApiFunctionParams()

    @field_validator("schedule")
    @classmethod
    def _cron(cls, schedule: str) -> str:
        return check_cron(schedule)

    @field_validator("functions")
    @classmethod
    def _stage_functions(
        cls, functions: dict[str, FunctionParams]
    ) -> dict[str, FunctionParams]:
        known = [stage.handler for stage in STAGES]
        unknown = sorted(set(functions) - set(known))
        if unknown:
            close = difflib.get_close_matches(unknown[0], known, n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            raise ValueError(
                f"no stage has the handler {', '.join(unknown)} "
                f"({hint}the handlers are {', '.join(known)})"
            )
        return {name: functions.get(name, FunctionParams()) for name in known}

    @model_validator(mode="after")
    def _functions_stop_first(self) -> DeployParams:
        too_long = [
            f"deploy.functions.{name}.timeout_seconds = {function.timeout_seconds}"
            for name, function in self.functions.items()
            if function.timeout_seconds >= self.task_timeout_seconds
        ]
        if too_long:
            raise ValueError(
                f"{'; '.join(too_long)}: must be below deploy.task_timeout_seconds "
                f"= {self.task_timeout_seconds}, or Step Functions would retry a stage "
                "while its function still runs"
            )
        return self

    @classmethod
    def of(cls, raw: Any) -> DeployParams:
        """``raw`` as parsed by the run's start (returned as is) or a mapping to parse."""
        return parse_params(cls, raw, "deploy")


def check_cron(schedule: str) -> str:
    """``schedule`` if it is an EventBridge ``cron(...)`` of six fields, else ValueError.

    EventBridge also requires ``?`` in day-of-month or day-of-week (not both).
    """
    match = CRON.match(schedule.strip())
    fields = match["fields"].split() if match else []
    if len(fields) != len(CRON_FIELDS):
        raise ValueError(
            "must be an EventBridge cron expression of six fields, "
            f"cron({' '.join(CRON_FIELDS)}), e.g. cron(30 2 * * ? *)"
        )
    day_of_month, day_of_week = fields[2], fields[4]
    if (day_of_month == "?") == (day_of_week == "?"):
        raise ValueError(
            "exactly one of day-of-month and day-of-week must be '?' in an "
            f"EventBridge cron, got {day_of_month!r} and {day_of_week!r}"
        )
    return schedule.strip()
