"""``criptos deploy asl`` in a subprocess, as a user runs it: the JSON it prints passes
asl-validator and cfn-lint, ``--params`` reach it, bad parameters exit 2 naming the key."""

from __future__ import annotations

import json

import pytest

from criptos.aws.stages import STAGES
from criptos.aws.state_machine import SUCCEEDED, state_order
from tests.aws.test_state_machine import run_asl_validator, run_cfn_lint
from tests.kedro_project import run_criptos

pytestmark = pytest.mark.e2e


def test_prints_a_definition_the_validators_accept(tmp_path):
    done = run_criptos("deploy", "asl", timeout=120)
    assert done.returncode == 0, done.stderr
    asl = json.loads(done.stdout)  # nothing but the JSON on stdout
    assert state_order(asl) == [*(stage.state for stage in STAGES), SUCCEEDED]
    assert asl["States"]["Train"]["Parameters"]["FunctionName"] == (
        "arn:aws:lambda:us-east-1:123456789012:function:criptos-train"
    )
    validated = run_asl_validator(asl, tmp_path)
    assert validated.returncode == 0, validated.stdout + validated.stderr
    linted = run_cfn_lint(asl, tmp_path)
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_params_and_names_reach_the_definition():
    done = run_criptos(
        "deploy",
        "asl",
        "--params",
        "deploy.retry.max_attempts=5,deploy.task_timeout_seconds=880",
        "--region",
        "sa-east-1",
        "--account",
        "111122223333",
        "--name-prefix",
        "prod-criptos",
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    feature = json.loads(done.stdout)["States"]["Feature"]
    assert feature["Retry"][1]["MaxAttempts"] == 5
    assert feature["TimeoutSeconds"] == 880
    assert feature["Parameters"]["FunctionName"] == (
        "arn:aws:lambda:sa-east-1:111122223333:function:prod-criptos-feature-job"
    )


def test_invalid_parameters_exit_2_naming_each_key():
    done = run_criptos(
        "deploy",
        "asl",
        "--params",
        "deploy.task_timeout_seconds=1000,deploy.retry.max_attempts=0",
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("criptos: error: 2 invalid parameters:")
    assert (
        "deploy.task_timeout_seconds = 1000: Input should be less than 900"
        in done.stderr
    )
    assert "deploy.retry.max_attempts = 0" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_bad_account_exits_2():
    done = run_criptos("deploy", "asl", "--account", "12345", timeout=120)
    assert done.returncode == 2
    assert "criptos: error: --account must be 12 digits, got '12345'" in done.stderr
