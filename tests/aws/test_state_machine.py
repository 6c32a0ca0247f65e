"""The Step Functions definition: its shape, its parameters, and AWS's own validators.

``asl-validator`` (npm, ``deploy/aws/node_modules``) and ``cfn-lint`` (the ``deploy``
extra) check the generated ASL offline; a deliberately broken definition shows each
check can fail. A missing tool fails the test with the command that installs it.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from criptos.aws.params import DeployParams
from criptos.aws.stages import STAGES
from criptos.aws.state_machine import (
    FAILED,
    LAMBDA_INVOKE,
    SUCCEEDED,
    definition,
    schedule_expression,
    state_order,
)
from criptos.config.parameters import parse_parameters
from criptos.config.schema import ParameterError
from tests.kedro_project import PROJECT_ROOT

ASL_VALIDATOR = (
    PROJECT_ROOT / "deploy" / "aws" / "node_modules" / ".bin" / "asl-validator"
)
NPM_INSTALL = "npm ci --prefix deploy/aws --no-audit --no-fund"
CFN_LINT = Path(sys.executable).parent / "cfn-lint"
ARNS = {
    stage.handler: f"arn:aws:lambda:us-east-1:123456789012:function:criptos-{stage.handler}"
    for stage in STAGES
}


def run_asl_validator(asl: dict[str, Any], folder: Path) -> subprocess.CompletedProcess:
    """asl-validator on ``asl`` (``--json-path``: ``--json-definition`` takes the JSON
    text itself and exits 0 when it cannot parse it)."""
    if not ASL_VALIDATOR.is_file():
        pytest.fail(
            f"asl-validator is not installed: run `{NPM_INSTALL}` (make test does)"
        )
    path = folder / "definition.asl.json"
    path.write_text(json.dumps(asl))
    return subprocess.run(
        [str(ASL_VALIDATOR), "--json-path", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def run_cfn_lint(asl: dict[str, Any], folder: Path) -> subprocess.CompletedProcess:
    """cfn-lint on a minimal template whose state machine's ``Definition`` is ``asl``."""
    if not CFN_LINT.is_file():
        pytest.fail(
            f"cfn-lint is not installed: run `{sys.executable} -m pip install -e '.[deploy]'`"
        )
    role = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "states.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        },
    }
    machine = {
        "Type": "AWS::StepFunctions::StateMachine",
        "Properties": {"RoleArn": {"Fn::GetAtt": ["Role", "Arn"]}, "Definition": asl},
    }
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {"Role": role, "StateMachine": machine},
    }
    path = folder / "template.json"
    path.write_text(json.dumps(template, indent=1))
    return subprocess.run(
        [str(CFN_LINT), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def tasks(asl: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: state for name, state in asl["States"].items() if state["Type"] == "Task"
    }


@pytest.fixture(scope="module")
def asl() -> dict[str, Any]:
    return definition(ARNS, DeployParams())


def test_order_is_the_stages_feature_train_export(asl):
    assert state_order(asl) == ["Feature", "Train", "Export", SUCCEEDED]
    assert [stage.state for stage in STAGES] == list(tasks(asl))
    assert asl["States"][SUCCEEDED]["Type"] == "Succeed"
    assert "criptos" in asl["Comment"]


def test_each_task_invokes_its_handler_and_passes_its_result_on(asl):
    for stage in STAGES:
        task = asl["States"][stage.state]
        assert task["Resource"] == LAMBDA_INVOKE
        assert task["Parameters"] == {
            "FunctionName": ARNS[stage.handler],
            "Payload.$": "$",
        }
        assert task["OutputPath"] == "$.Payload"


def test_each_task_retries_but_not_a_refused_input(asl):
    retry = DeployParams().retry
    for name, task in tasks(asl).items():
        first, then = task["Retry"]
        assert first == {"ErrorEquals": ["HandlerInputError"], "MaxAttempts": 0}, name
        assert "StageFailed" in then["ErrorEquals"]
        assert "States.TaskFailed" in then["ErrorEquals"]
        assert (then["MaxAttempts"], then["IntervalSeconds"], then["BackoffRate"]) == (
            retry.max_attempts,
            retry.interval_seconds,
            retry.backoff_rate,
        )


def test_every_failure_ends_in_the_fail_state_saying_latest_is_untouched(asl):
    for task in tasks(asl).values():
        assert task["Catch"] == [
            {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": FAILED}
        ]
    failed = asl["States"][FAILED]
    assert failed["Type"] == "Fail"
    assert "models/latest still names the previous version" in failed["Cause"]


def test_timeouts_are_below_lambdas_limit_and_above_each_function(asl):
    params = DeployParams()
    for task in tasks(asl).values():
        assert task["TimeoutSeconds"] == params.task_timeout_seconds < 900
    assert max(f.timeout_seconds for f in params.functions.values()) < (
        params.task_timeout_seconds
    )


def test_parameters_change_the_definition_and_schedule():
    params = DeployParams.of(
        {
            "retry": {"max_attempts": 7, "backoff_rate": 1.5},
            "schedule": "cron(0 4 ? * MON-FRI *)",
        }
    )
    changed = definition(ARNS, params)
    for task in tasks(changed).values():
        assert task["Retry"][1]["MaxAttempts"] == 7
        assert task["Retry"][1]["BackoffRate"] == 1.5
    assert schedule_expression(params) == "cron(0 4 ? * MON-FRI *)"
    assert schedule_expression(DeployParams()) == "cron(30 2 * * ? *)"


def test_the_project_file_parses_and_a_run_accepts_it():
    raw = yaml.safe_load((PROJECT_ROOT / "conf/base/parameters_deploy.yml").read_text())
    params = DeployParams.of(raw["deploy"])
    assert set(params.functions) == {stage.handler for stage in STAGES}
    assert (
        params.functions["train"].memory_mb
        == raw["deploy"]["functions"]["train"]["memory_mb"]
    )
    assert parse_parameters({"run_date": "20210707", **raw}).deploy == params


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ({"task_timeout_seconds": 1000}, "deploy.task_timeout_seconds = 1000"),
        ({"retry": {"max_attempts": 0}}, "deploy.retry.max_attempts = 0"),
        (
            {"schedule": "cron(30 2 * * *)"},
            "deploy.schedule = 'cron(30 2 * * *)': must be",
        ),
        ({"schedule": "rate(1 day)"}, "deploy.schedule = 'rate(1 day)'"),
        (
            {"schedule": "cron(30 2 * * MON *)"},
            "exactly one of day-of-month and day-of-week",
        ),
        (
            {"functions": {"train": {"timeout_seconds": 900}}},
            "functions.train.timeout_seconds",
        ),
        ({"task_timeout_seconds": 500}, "deploy.functions.train.timeout_seconds = 600"),
        ({"functions": {"trian": {}}}, "did you mean train?"),
        ({"retyr": {}}, "did you mean deploy.retry?"),
    ],
)
def test_invalid_parameters_name_the_key(raw, named):
    with pytest.raises(ParameterError, match="invalid parameter") as refused:
        DeployParams.of(raw)
    assert named in str(refused.value)


def test_every_handler_needs_an_arn():
    with pytest.raises(ValueError, match="no function ARN for the handler.*export"):
        definition({k: v for k, v in ARNS.items() if k != "export"}, DeployParams())


def test_state_order_refuses_a_loop(asl):
    looping = copy.deepcopy(asl)
    looping["States"]["Export"]["Next"] = "Feature"
    with pytest.raises(ValueError, match="loop back to Feature"):
        state_order(looping)


def test_asl_validator_accepts_the_definition_and_rejects_a_broken_one(asl, tmp_path):
    accepted = run_asl_validator(asl, tmp_path)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "is valid" in accepted.stdout
    broken = copy.deepcopy(asl)
    broken["States"]["Train"]["Next"] = "Nowhere"
    rejected = run_asl_validator(broken, tmp_path)
    assert rejected.returncode == 1
    assert (
        "MISSING_TRANSITION_TARGET" in rejected.stderr and "Nowhere" in rejected.stderr
    )


def test_cfn_lint_accepts_the_definition_and_rejects_a_broken_one(asl, tmp_path):
    accepted = run_cfn_lint(asl, tmp_path)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    broken = copy.deepcopy(asl)
    broken["StartAt"] = "Nowhere"
    rejected = run_cfn_lint(broken, tmp_path)
    assert rejected.returncode != 0
    assert "E3601" in rejected.stdout and "Nowhere" in rejected.stdout
