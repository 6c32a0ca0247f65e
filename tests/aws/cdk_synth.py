"""Synthesize the CDK app (deploy/aws/app.py) in a subprocess and read what it wrote.

``python deploy/aws/app.py`` is exactly what a user runs: the template, the asset
manifest and cdk-nag's validation report land in a temporary ``CDK_OUTDIR``, so the
tests never write deploy/aws/cdk.out. ``render`` turns CloudFormation intrinsics
into plain strings (``{"Ref": "AWS::Partition"}`` -> ``aws``, a ``GetAtt`` ->
``<LogicalId.Arn>``) so policies and the state machine read as text.

``cached_synth`` synthesizes each context once per test process (about 15 s each),
whichever test module asks first.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.kedro_project import PROJECT_ROOT

APP = PROJECT_ROOT / "deploy" / "aws" / "app.py"
STACK = "Criptos"
CFN_LINT = Path(sys.executable).with_name("cfn-lint")
PSEUDO = {
    "AWS::Partition": "aws",
    "AWS::Region": "<region>",
    "AWS::AccountId": "<account>",
}
NAG = "AwsSolutions"
BUCKET = "criptos-data"  # the default of the context's bucket_name
API_COMMAND = "criptos.aws.handlers.api"
IMPORTED = "criptos-imported"
ACCOUNT = "123456789012"
REGION = "eu-west-1"
# An existing bucket of another name, in a given account and region.
REGIONAL = {
    "bucket_name": IMPORTED,
    "import_bucket": "true",
    "account": ACCOUNT,
    "region": REGION,
    "availability_zones": f"{REGION}a,{REGION}b",
}


def skip_without_cdk() -> None:
    """Skip the calling module without the deploy extra or Node.js (jsii needs it)."""
    pytest.importorskip(
        "aws_cdk", reason="the deploy extra (pip install -e '.[deploy]')"
    )
    if shutil.which("node") is None:
        pytest.skip("the CDK's jsii runtime needs Node.js", allow_module_level=True)


@dataclass(frozen=True)
class Synth:
    """One run of the app: its exit status, output, duration and cloud assembly."""

    returncode: int
    output: str  # stdout and stderr
    seconds: float
    outdir: Path

    @property
    def template_path(self) -> Path:
        return self.outdir / f"{STACK}.template.json"

    @property
    def template(self) -> dict[str, Any]:
        return json.loads(self.template_path.read_text())

    @property
    def validation_report(self) -> dict[str, Any]:
        path = self.outdir / "validation-report.json"
        return json.loads(path.read_text()) if path.is_file() else {"pluginReports": []}

    def plugin_violations(self, plugin: str) -> list[dict[str, Any]]:
        """The violations a validation plugin reported (not the acknowledged ones)."""
        return [
            violation
            for report in self.validation_report["pluginReports"]
            if report["pluginName"] == plugin
            for violation in report.get("violations", [])
        ]


def synth(outdir: Path, context: Mapping[str, Any] | None = None) -> Synth:
    """Run ``python deploy/aws/app.py`` with ``context`` (``CDK_CONTEXT_JSON``)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CDK_", "AWS_")) and key != "KEDRO_ENV"
    }
    env["CDK_OUTDIR"] = str(outdir)
    env["CDK_CONTEXT_JSON"] = json.dumps(dict(context or {}))
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(APP)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return Synth(
        done.returncode,
        done.stdout + done.stderr,
        time.perf_counter() - started,
        outdir,
    )


def _ref(name: str) -> str:
    return PSEUDO.get(name, f"<{name}>")


def _get_att(arguments: list[str]) -> str:
    logical_id, attribute = arguments
    return f"<{logical_id}.{attribute}>"


def _join(arguments: list[Any]) -> str:
    separator, parts = arguments
    return separator.join(str(render(part)) for part in parts)


def _sub(text: str) -> str:
    return re.sub(r"\$\{([^}]+)\}", lambda match: _ref(match[1]), text)


INTRINSICS = {"Ref": _ref, "Fn::GetAtt": _get_att, "Fn::Join": _join, "Fn::Sub": _sub}


_synths: dict[str, Synth] = {}


def cached_synth(context: Mapping[str, Any] | None = None) -> Synth:
    """A successful synth with ``context``, made once per process (``pytest.fail``
    with the app's output otherwise)."""
    key = json.dumps(dict(context or {}), sort_keys=True)
    if key not in _synths:
        outdir = Path(tempfile.mkdtemp(prefix="criptos-cdk-"))
        atexit.register(shutil.rmtree, outdir, ignore_errors=True)
        _synths[key] = synth(outdir, context)
    synthesis = _synths[key]
    if synthesis.returncode != 0:
        pytest.fail(f"the synth failed:\n{synthesis.output[-4000:]}")
    return synthesis


def function_id(template: Mapping[str, Any], command: str) -> str:
    """The logical id of the Lambda function whose image command is ``command``."""
    for logical_id, function in resources(template, "AWS::Lambda::Function").items():
        if function["Properties"]["ImageConfig"]["Command"] == [command]:
            return logical_id
    raise KeyError(command)


def render(value: Any) -> Any:
    """``value`` with its intrinsic functions turned into text (see the module doc)."""
    if isinstance(value, list):
        return [render(item) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1 and next(iter(value)) in INTRINSICS:
        ((name, arguments),) = value.items()
        return INTRINSICS[name](arguments)
    return {key: render(item) for key, item in value.items()}


def resources(template: Mapping[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """The template's resources of type ``kind``, by logical id."""
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == kind
    }


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@dataclass(frozen=True)
class Statement:
    """One IAM statement, rendered, with the roles its policy is attached to."""

    policy: str  # the policy's logical id
    roles: tuple[str, ...]  # logical ids of the roles
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: Mapping[str, Any]
    sid: str | None


def statements(template: Mapping[str, Any]) -> Iterator[Statement]:
    """Every Allow statement of every AWS::IAM::Policy and role inline policy."""
    documents: list[tuple[str, tuple[str, ...], Any]] = []
    for logical_id, policy in resources(template, "AWS::IAM::Policy").items():
        roles = tuple(ref["Ref"] for ref in policy["Properties"].get("Roles", []))
        documents.append((logical_id, roles, policy["Properties"]["PolicyDocument"]))
    for logical_id, role in resources(template, "AWS::IAM::Role").items():
        for inline in role["Properties"].get("Policies", []):
            documents.append((logical_id, (logical_id,), inline["PolicyDocument"]))
    for logical_id, roles, document in documents:
        for statement in document["Statement"]:
            assert statement["Effect"] == "Allow", statement
            yield Statement(
                policy=logical_id,
                roles=roles,
                actions=tuple(as_list(statement["Action"])),
                resources=tuple(str(r) for r in as_list(render(statement["Resource"]))),
                conditions=render(statement.get("Condition", {})),
                sid=statement.get("Sid"),
            )


def role_of_function(template: Mapping[str, Any], command: str) -> str:
    """The logical id of the role of the Lambda function whose image command is ``command``."""
    function = template["Resources"][function_id(template, command)]
    return function["Properties"]["Role"]["Fn::GetAtt"][0]


def granted(template: Mapping[str, Any], role: str, action: str) -> set[str]:
    """The resources ``role`` is granted ``action`` on."""
    return {
        resource
        for statement in statements(template)
        if role in statement.roles and action in statement.actions
        for resource in statement.resources
    }
