"""``criptos deploy asl``: the Step Functions definition of the daily run, as JSON.

It reads the ``deploy`` parameters of the project the way ``kedro run`` does (the
same ``--env``, ``--conf-source`` and ``--params`` options, Kedro's own, so
``--params deploy.retry.max_attempts=5`` overrides one key) and prints the ASL of
``criptos.aws.state_machine`` to stdout. The functions' ARNs are placeholders built
from ``--region``, ``--account`` and ``--name-prefix``
(``arn:aws:lambda:us-east-1:123456789012:function:criptos-train``): the CDK app puts
the real ones in. Invalid parameters end with ``criptos: error: <message>`` naming
each key, and exit status 2, like every other criptos command.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import click
from kedro.framework.cli.project import run as kedro_run
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

from criptos.api.source import ProjectNotFound, find_project
from criptos.aws.params import DeployParams
from criptos.aws.stages import STAGES
from criptos.aws.state_machine import definition, function_name
from criptos.cli import INPUT_ERROR_EXIT_CODE, MESSAGE_PREFIX
from criptos.contracts.errors import find_input_error

# The options of `kedro run` that choose the configuration, reused as they are.
KEDRO_OPTIONS = {option.name: option for option in kedro_run.params}
PLACEHOLDER_ACCOUNT = "123456789012"


def deploy_params(
    env: str | None, conf_source: str | None, params: dict[str, Any] | None
) -> DeployParams:
    """The project's ``deploy`` parameters, loaded and checked as a run would."""
    root = find_project(None)
    bootstrap_project(root)
    session = KedroSession.create(
        project_path=root,
        env=env,
        conf_source=conf_source,
        runtime_params=params or None,
        save_on_close=False,
    )
    # Creating the context parses the whole parameter tree (ParametersHook).
    return DeployParams.of(session.load_context().params.get("deploy"))


def placeholder_arns(region: str, account: str, prefix: str) -> dict[str, str]:
    """Each stage handler's Lambda ARN, as the CDK app names the functions."""
    return {
        stage.handler: f"arn:aws:lambda:{region}:{account}:function:"
        f"{function_name(stage.handler, prefix)}"
        for stage in STAGES
    }


def _fail(message: str) -> click.exceptions.Exit:
    click.echo(f"{MESSAGE_PREFIX}{message}", err=True)
    return click.exceptions.Exit(INPUT_ERROR_EXIT_CODE)


@click.group(name="deploy")
def deploy() -> None:
    """Artifacts for running the pipelines on AWS."""


@deploy.command(
    name="asl",
    params=[
        KEDRO_OPTIONS["env"],
        KEDRO_OPTIONS["conf_source"],
        KEDRO_OPTIONS["params"],
    ],
)
@click.option("--region", default="us-east-1", show_default=True)
@click.option(
    "--account",
    default=PLACEHOLDER_ACCOUNT,
    show_default=True,
    help="AWS account id (12 digits) in the functions' ARNs.",
)
@click.option(
    "--name-prefix",
    default="criptos",
    show_default=True,
    help="Functions are named <prefix>-<handler>, e.g. criptos-feature-job.",
)
def asl(
    *,
    env: str | None,
    conf_source: str | None,
    params: dict[str, Any],
    region: str,
    account: str,
    name_prefix: str,
) -> None:
    """Print the Step Functions definition (Feature -> Train -> Export) as JSON."""
    if not (account.isdigit() and len(account) == len(PLACEHOLDER_ACCOUNT)):
        raise _fail(f"--account must be 12 digits, got {account!r}")
    # The session's INFO lines would mix with the JSON: only warnings, on stderr.
    logging.disable(logging.INFO)
    try:
        params_ = deploy_params(env, conf_source, params)
    except ProjectNotFound as error:
        raise _fail(str(error)) from None
    except Exception as error:
        input_error = find_input_error(error)
        if input_error is None:
            raise
        raise _fail(str(input_error)) from None
    asl_json = definition(placeholder_arns(region, account, name_prefix), params_)
    click.echo(json.dumps(asl_json, indent=2))
