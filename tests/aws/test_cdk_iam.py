"""The synthesized stack's IAM: S3 only inside the bucket, each role on its prefixes.

Every statement of every policy is read from the template (``tests.aws.cdk_synth``
renders its intrinsics): no ``*`` or ``s3:*`` action, S3 resources only the bucket
or ``<bucket>/<root>/*`` of the catalog's roots, listing only under a prefix, and
per function the prefixes ``criptos.aws.access`` derives (the feature job cannot
write models/, the API writes nothing). A doctored template proves the check fails.
Also the imported-bucket variant, in a given account and region.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from criptos.aws.access import api_access, stage_access
from criptos.aws.stages import STAGES
from tests.aws.cdk_synth import (
    ACCOUNT,
    API_COMMAND,
    BUCKET,
    IMPORTED,
    NAG,
    REGION,
    REGIONAL,
    Synth,
    cached_synth,
    granted,
    render,
    resources,
    role_of_function,
    skip_without_cdk,
    statements,
)

skip_without_cdk()

# Two synths of about 15 s each (the default one shared with test_cdk_app.py).
pytestmark = [pytest.mark.slow, pytest.mark.e2e]


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return cached_synth().template


@pytest.fixture(scope="module")
def regional() -> Synth:
    return cached_synth(REGIONAL)


@pytest.fixture(scope="module")
def imported(regional: Synth) -> dict[str, Any]:
    return regional.template


def bucket_resources(bucket: str) -> set[str]:
    """What an S3 statement may name: the bucket, the key of one of its roots (a
    folder's probe) or the objects under one."""
    roots = {"raw", "reports", "primary", "features", "artifacts", "models", "glue"}
    keys = {f"arn:aws:s3:::{bucket}/{root}" for root in roots}
    return {f"arn:aws:s3:::{bucket}"} | keys | {f"{key}/*" for key in keys}


def glue_script_object(template: dict[str, Any]) -> str:
    (job,) = resources(template, "AWS::Glue::Job").values()
    url = render(job["Properties"]["Command"]["ScriptLocation"])
    return "arn:aws:s3:::" + url.removeprefix("s3://")


S3_ACTIONS = {"s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject"}


def s3_problems(template: dict[str, Any], bucket: str) -> list[str]:
    """Every IAM statement that grants S3 outside ``bucket`` or beyond the four actions."""
    allowed = bucket_resources(bucket)
    problems = []
    for statement in statements(template):
        where = f"{statement.policy} {statement.sid}: {statement.actions} on {statement.resources}"
        if {"*", "s3:*"} & set(statement.actions):
            problems.append(f"wildcard action in {where}")
        if not any(action.startswith("s3:") for action in statement.actions):
            continue
        if statement.sid == "ReadScript":  # the Glue job's script, a CDK file asset
            if statement.actions != ("s3:GetObject",) or statement.resources != (
                glue_script_object(template),
            ):
                problems.append(f"more than the Glue script in {where}")
            continue
        if not set(statement.resources) <= allowed:
            problems.append(f"outside the bucket's roots: {where}")
        if not set(statement.actions) <= S3_ACTIONS:
            problems.append(f"unexpected actions: {where}")
        if "s3:DeleteObject" in statement.actions and not all(
            "Glue" in role for role in statement.roles
        ):
            problems.append(f"delete beyond the Glue job's Spark commit: {where}")
        if "s3:ListBucket" in statement.actions:
            listed = statement.conditions.get("StringLike", {}).get("s3:prefix")
            probe = statement.conditions.get("NumericLessThanEquals", {}).get(
                "s3:max-keys"
            )
            if not (listed or probe == "1"):
                problems.append(f"listing without a prefix condition: {where}")
    return problems


@pytest.mark.parametrize("variant", ["default", "imported"])
def test_no_policy_grants_s3_outside_the_bucket(
    variant: str, template: dict[str, Any], imported: dict[str, Any]
) -> None:
    chosen, bucket = (
        (template, BUCKET) if variant == "default" else (imported, IMPORTED)
    )
    assert any(
        action.startswith("s3:") for s in statements(chosen) for action in s.actions
    )
    assert s3_problems(chosen, bucket) == []


def test_the_policy_check_catches_a_grant_outside_the_bucket(
    template: dict[str, Any],
) -> None:
    doctored = json.loads(json.dumps(template))
    role = role_of_function(doctored, API_COMMAND)
    (policy,) = [
        p
        for p in resources(doctored, "AWS::IAM::Policy").values()
        if {"Ref": role} in p["Properties"]["Roles"]
    ]
    policy["Properties"]["PolicyDocument"]["Statement"] += [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::other/*",
        },
        {
            "Effect": "Allow",
            "Action": "s3:DeleteObject",
            "Resource": f"arn:aws:s3:::{BUCKET}/models/*",
        },
        {
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": f"arn:aws:s3:::{BUCKET}",
        },
    ]
    problems = s3_problems(doctored, BUCKET)
    for expected in (
        "wildcard action",
        "arn:aws:s3:::other/*",
        "delete beyond",
        "listing without",
    ):
        assert any(expected in problem for problem in problems), (expected, problems)


def written_prefixes(template: dict[str, Any], role: str) -> set[str]:
    prefix = f"arn:aws:s3:::{BUCKET}/"
    return {
        r.removeprefix(prefix).removesuffix("/*")
        for r in granted(template, role, "s3:PutObject")
    }


def read_prefixes(template: dict[str, Any], role: str) -> set[str]:
    prefix = f"arn:aws:s3:::{BUCKET}/"
    return {
        r.removeprefix(prefix).removesuffix("/*")
        for r in granted(template, role, "s3:GetObject")
    }


def test_each_function_writes_only_its_own_prefixes(template: dict[str, Any]) -> None:
    roles = {s.handler: role_of_function(template, s.handler_path) for s in STAGES}
    feature, train, export = (roles[n] for n in ("feature_job", "train", "export"))
    assert "models" not in written_prefixes(template, feature)
    assert "raw" not in written_prefixes(template, feature)  # the upload is the user's
    assert written_prefixes(template, export) == {"models"}
    assert "models" not in written_prefixes(template, train)
    assert "raw" in read_prefixes(template, feature)
    for stage in STAGES:
        access = stage_access(stage)
        assert written_prefixes(template, roles[stage.handler]) == set(access.write)
        assert read_prefixes(template, roles[stage.handler]) == set(access.read)


def test_the_api_reads_models_and_features_and_writes_nothing(
    template: dict[str, Any],
) -> None:
    lambda_role = role_of_function(template, API_COMMAND)
    (task,) = resources(template, "AWS::ECS::TaskDefinition").values()
    task_role = task["Properties"]["TaskRoleArn"]["Fn::GetAtt"][0]
    for role in (lambda_role, task_role):
        assert granted(template, role, "s3:PutObject") == set()
        assert (
            read_prefixes(template, role)
            == {"models", "features"}
            == set(api_access().read)
        )


def test_an_imported_bucket_is_used_not_created(regional: Synth) -> None:
    imported = regional.template
    # The log bucket only (the load balancer's and the VPC's logs).
    (logs,) = resources(imported, "AWS::S3::Bucket").values()
    assert "BucketName" not in logs["Properties"]
    rules = resources(imported, "AWS::Events::Rule").values()
    inputs = [json.loads(t["Input"]) for r in rules for t in r["Properties"]["Targets"]]
    assert inputs == [{"bucket": IMPORTED}]  # no upload trigger: the bucket is not ours
    for function in resources(imported, "AWS::Lambda::Function").values():
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables["CRIPTOS_BUCKET"] == IMPORTED


def test_a_given_region_logs_the_load_balancer_and_looks_nothing_up(
    regional: Synth,
) -> None:
    manifest = json.loads((regional.outdir / "manifest.json").read_text())
    assert (
        manifest["artifacts"]["Criptos"]["environment"] == f"aws://{ACCOUNT}/{REGION}"
    )
    assert "missing" not in manifest  # no context provider (AZs, lookups) left to ask
    assert regional.plugin_violations(NAG) == []
    (balancer,) = resources(
        regional.template, "AWS::ElasticLoadBalancingV2::LoadBalancer"
    ).values()
    attributes = {
        a["Key"]: a["Value"] for a in balancer["Properties"]["LoadBalancerAttributes"]
    }
    assert attributes["access_logs.s3.enabled"] == "true"
    subnets = resources(regional.template, "AWS::EC2::Subnet").values()
    assert sorted(s["Properties"]["AvailabilityZone"] for s in subnets) == [
        f"{REGION}a",
        f"{REGION}b",
    ]
