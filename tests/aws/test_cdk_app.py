"""The CDK app, synthesized offline the way a user does (``python deploy/aws/app.py``).

The template has the resources of the issue, built from the project's own sources
(``criptos deploy asl``'s state machine, the ``deploy`` parameters' schedule and
sizes), passes cfn-lint and cdk-nag's AwsSolutions pack, each acknowledgment with
its reason and each one needed (an audit synth without them fails on exactly
those). Each synth runs ``app.py`` in a subprocess into a temporary folder
(``tests.aws.cdk_synth``); the IAM policies are checked in test_cdk_iam.py.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from criptos.aws.params import DeployParams
from criptos.aws.stages import STAGES, stage_of_handler
from criptos.aws.state_machine import definition, state_order
from tests.aws.cdk_synth import (
    API_COMMAND,
    BUCKET,
    CFN_LINT,
    NAG,
    Synth,
    cached_synth,
    function_id,
    granted,
    render,
    resources,
    skip_without_cdk,
    synth,
)
from tests.kedro_project import PROJECT_ROOT

skip_without_cdk()

# Each synth takes about 15 s (the jsii kernel, then cdk-nag), cfn-lint about 7 s.
pytestmark = [pytest.mark.slow, pytest.mark.e2e]

# cfn-lint's W3005 flags the DependsOn CDK adds on a function's role beside its GetAtt.
CFN_LINT_IGNORED = "W3005"


def params() -> DeployParams:
    """The deploy parameters, read from the YAML file itself (not the app's loader)."""
    raw = yaml.safe_load((PROJECT_ROOT / "conf/base/parameters_deploy.yml").read_text())
    return DeployParams.of(raw["deploy"])


@pytest.fixture(scope="module")
def app() -> Synth:
    """The default stack: created bucket, Fargate, the AwsSolutions checks on."""
    return cached_synth()


@pytest.fixture(scope="module")
def template(app: Synth) -> dict[str, Any]:
    return app.template


def test_synth_is_environment_agnostic_and_writes_the_outdir(app: Synth) -> None:
    assert app.template_path.is_file()
    manifest = json.loads((app.outdir / "manifest.json").read_text())
    stack = manifest["artifacts"]["Criptos"]
    assert stack["environment"] == "aws://unknown-account/unknown-region"


def test_the_issue_resources_are_in_the_template(template: dict[str, Any]) -> None:
    counts = {
        kind: len(resources(template, kind))
        for kind in (
            "AWS::StepFunctions::StateMachine",
            "AWS::Glue::Job",
            "AWS::ApiGatewayV2::Api",
            "AWS::ECS::Service",
        )
    }
    assert counts == dict.fromkeys(counts, 1)
    functions = resources(template, "AWS::Lambda::Function").values()
    commands = sorted(f["Properties"]["ImageConfig"]["Command"][0] for f in functions)
    assert commands == sorted([*(s.handler_path for s in STAGES), API_COMMAND])
    for function in functions:
        properties = function["Properties"]
        assert properties["PackageType"] == "Image"
        assert render(properties["Code"]["ImageUri"]).endswith("/criptos:latest")
        assert properties["Environment"]["Variables"]["CRIPTOS_BUCKET"] == BUCKET


def test_the_created_bucket_is_private_encrypted_versioned_and_logged(
    template: dict[str, Any],
) -> None:
    (data,) = [
        bucket["Properties"]
        for bucket in resources(template, "AWS::S3::Bucket").values()
        if bucket["Properties"].get("BucketName") == BUCKET
    ]
    assert data["PublicAccessBlockConfiguration"] == dict.fromkeys(
        (
            "BlockPublicAcls",
            "BlockPublicPolicy",
            "IgnorePublicAcls",
            "RestrictPublicBuckets",
        ),
        True,
    )
    assert data["VersioningConfiguration"] == {"Status": "Enabled"}
    encryption = data["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption[0]["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert "DestinationBucketName" in data["LoggingConfiguration"]
    assert data["NotificationConfiguration"]["EventBridgeConfiguration"] == {
        "EventBridgeEnabled": True
    }
    policies = [
        statement
        for policy in resources(template, "AWS::S3::BucketPolicy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert any(
        s["Effect"] == "Deny"
        and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in policies
    )


def test_the_state_machine_is_the_asl_of_criptos_deploy_asl(
    template: dict[str, Any],
) -> None:
    (machine,) = resources(template, "AWS::StepFunctions::StateMachine").values()
    asl = json.loads(render(machine["Properties"]["DefinitionString"]))
    arns = {
        stage.handler: f"<{function_id(template, stage.handler_path)}.Arn>"
        for stage in STAGES
    }
    assert asl == definition(arns, params())
    order = state_order(asl)
    assert order[:3] == ["Feature", "Train", "Export"] == [s.state for s in STAGES]
    for stage in STAGES:
        task = asl["States"][stage.state]
        assert task["Retry"], stage.state
        assert any(
            r.get("MaxAttempts") == params().retry.max_attempts for r in task["Retry"]
        )
        function = template["Resources"][function_id(template, stage.handler_path)]
        assert function["Properties"]["Timeout"] < task["TimeoutSeconds"] < 900
    properties = machine["Properties"]
    assert properties["TracingConfiguration"] == {"Enabled": True}
    assert properties["LoggingConfiguration"]["Level"] == "ALL"


def test_the_state_machine_may_invoke_exactly_the_stage_functions(
    template: dict[str, Any],
) -> None:
    (machine,) = resources(template, "AWS::StepFunctions::StateMachine").values()
    role = machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    invoked = granted(template, role, "lambda:InvokeFunction")
    assert invoked == {
        f"<{function_id(template, stage.handler_path)}.Arn>" for stage in STAGES
    }


def test_the_daily_rule_starts_the_state_machine_on_the_bucket(
    template: dict[str, Any],
) -> None:
    rules = resources(template, "AWS::Events::Rule")
    (scheduled,) = [
        r["Properties"]
        for r in rules.values()
        if "ScheduleExpression" in r["Properties"]
    ]
    assert scheduled["ScheduleExpression"] == params().schedule
    (target,) = scheduled["Targets"]
    (machine_id,) = resources(template, "AWS::StepFunctions::StateMachine")
    assert target["Arn"] == {"Ref": machine_id}
    assert json.loads(target["Input"]) == {"bucket": BUCKET}
    (upload,) = [
        r["Properties"] for r in rules.values() if "EventPattern" in r["Properties"]
    ]
    assert upload["EventPattern"]["detail"]["object"] == {"key": ["raw/raw.csv"]}
    feature = function_id(template, stage_of_handler("feature_job").handler_path)
    assert upload["Targets"][0]["Arn"] == {"Fn::GetAtt": [feature, "Arn"]}


def test_the_http_api_logs_its_accesses_and_calls_the_api_function(
    template: dict[str, Any],
) -> None:
    (api,) = resources(template, "AWS::ApiGatewayV2::Api").values()
    assert api["Properties"]["ProtocolType"] == "HTTP"
    (stage,) = resources(template, "AWS::ApiGatewayV2::Stage").values()
    settings = stage["Properties"]["AccessLogSettings"]
    assert "$context.status" in json.loads(settings["Format"]).values()
    (integration,) = resources(template, "AWS::ApiGatewayV2::Integration").values()
    target = render(integration["Properties"]["IntegrationUri"])
    assert target == f"<{function_id(template, API_COMMAND)}.Arn>"


def test_fargate_runs_the_api_command_of_the_same_image(
    template: dict[str, Any],
) -> None:
    (task,) = resources(template, "AWS::ECS::TaskDefinition").values()
    (container,) = task["Properties"]["ContainerDefinitions"]
    assert container["Command"] == ["api"]
    assert container["PortMappings"][0]["ContainerPort"] == 8080
    assert render(container["Image"]).endswith("/criptos:latest")
    variables = {v["Name"]: v["Value"] for v in container["Environment"]}
    assert variables["KEDRO_ENV"] == "s3"
    assert json.loads(variables["CRIPTOS_API_PARAMS"]) == {"bucket": BUCKET}
    (group,) = resources(template, "AWS::ElasticLoadBalancingV2::TargetGroup").values()
    assert group["Properties"]["HealthCheckPath"] == "/health"


def test_the_glue_job_runs_the_glue_script_with_the_project_wheel(
    app: Synth, template: dict[str, Any]
) -> None:
    (job,) = resources(template, "AWS::Glue::Job").values()
    properties = job["Properties"]
    assert properties["Command"]["Name"] == "glueetl"
    assert properties["GlueVersion"] == "5.0"
    arguments = properties["DefaultArguments"]
    assert arguments["--bucket"] == BUCKET
    assert arguments["--additional-python-modules"].startswith(
        f"s3://{BUCKET}/glue/criptos-"
    )
    script = render(properties["Command"]["ScriptLocation"])
    asset = script.rsplit("/", 1)[1]
    shipped = (app.outdir / f"asset.{asset}").read_text()
    assert shipped == (PROJECT_ROOT / "deploy/aws/glue/feature_job.py").read_text()


def test_cfn_lint_passes_and_fails_on_a_broken_copy(app: Synth, tmp_path: Path) -> None:
    def lint(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(CFN_LINT), "--ignore-checks", CFN_LINT_IGNORED, "--", str(path)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    passed = lint(app.template_path)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    broken = app.template
    function = next(iter(resources(broken, "AWS::Lambda::Function").values()))
    function["Properties"]["MemorySize"] = 1  # below Lambda's 128 MB
    function["Properties"]["Handlr"] = "typo"
    path = tmp_path / "broken.template.json"
    path.write_text(json.dumps(broken))
    failed = lint(path)
    assert failed.returncode & 2, failed.stdout  # 2: errors
    assert "'Handlr' was unexpected" in failed.stdout
    assert "less than the minimum of 128" in failed.stdout


def acknowledged(template: dict[str, Any]) -> list[dict[str, str]]:
    """Every acknowledgment cdk-nag wrote into the template's metadata."""
    return [
        rule
        for resource in template["Resources"].values()
        for rule in resource.get("Metadata", {})
        .get("cdk_nag", {})
        .get("rules_to_suppress", [])
    ]


def test_cdk_nag_passes_and_every_acknowledgment_says_why(
    app: Synth, template: dict[str, Any]
) -> None:
    assert app.plugin_violations(NAG) == []
    rules = acknowledged(template)
    assert any(rule["id"].startswith(f"{NAG}-") for rule in rules)
    for rule in rules:
        assert rule.get("reason", "").strip(), rule


def test_without_its_acknowledgments_cdk_nag_fails_the_synth_on_each_of_them(
    template: dict[str, Any], tmp_path: Path
) -> None:
    audit = synth(tmp_path / "audit", {"nag_acknowledge": "false"})
    assert audit.returncode != 0
    assert "ValidationFailed" in audit.output
    found = {violation["ruleName"] for violation in audit.plugin_violations(NAG)}
    ours = {
        rule["id"]
        for rule in acknowledged(template)
        if rule["id"].startswith(f"{NAG}-")
    }
    # Each acknowledgment covers a real finding, and nothing else was found.
    assert found == ours


def test_fargate_can_be_left_out() -> None:
    without = cached_synth({"fargate": "false"}).template
    assert resources(without, "AWS::ECS::Service") == {}
    assert resources(without, "AWS::EC2::VPC") == {}
    assert len(resources(without, "AWS::Lambda::Function")) == len(STAGES) + 1
