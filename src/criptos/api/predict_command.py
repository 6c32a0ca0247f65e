"""``criptos predict BTC [--json]``: the API's answer without a server.

It builds the service exactly as ``python -m criptos.api`` does (the project's
catalog of ``--env``: the local registry or S3), loads the latest version once and
asks it for one asset: ``--json`` prints the bytes ``GET /predict`` would answer, the
default a small table. An asset the API refuses ends with the API's message on
stderr and exit status 2 (3 when no version can be loaded).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

import click

from criptos.api.__main__ import parse_params
from criptos.api.schemas import PredictionResponse
from criptos.api.service import ModelService
from criptos.api.settings import Settings
from criptos.api.source import KedroModelSource, ProjectNotFound
from criptos.api.state import AssetNotServed

MESSAGE_PREFIX = "criptos: error: "
REFUSED_EXIT_CODE = 2
NO_VERSION_EXIT_CODE = 3


def _forecast(output: object) -> str:
    if getattr(output, "task", None) == "regression":
        return (
            f"log return {output.predicted_log_return:+.6f} "
            f"(close {output.predicted_close})"
        )
    return f"P(up) {output.probability_up:.4f} ({output.direction})"


def _verdict(output: object) -> str:
    verdict = output.verdict
    if verdict.beats_baseline is None:
        return "untested"
    outcome = "beats baseline" if verdict.beats_baseline else "does not beat baseline"
    if verdict.p_value_adjusted is not None:
        outcome += f" (adjusted p {verdict.p_value_adjusted:.4f})"
    if output.holdout_net_sharpe is not None:
        outcome += f"; hold-out net Sharpe {output.holdout_net_sharpe:.2f}"
    return outcome


def format_table(answer: PredictionResponse) -> str:
    """The answer as a few aligned lines for a terminal."""
    age = f"{answer.age_days} day(s) old" + (", STALE" if answer.stale else "")
    header = [
        f"{answer.ativo} as of {answer.as_of} ({age}), close {answer.last_close}, "
        f"horizon {answer.horizon_days} day(s), model version {answer.model_version}",
    ]
    if not answer.seen_in_training:
        header.append("not seen in training: the models never saw this asset")
    if answer.missing_inputs:
        header.append(
            f"missing inputs (training medians used): {', '.join(answer.missing_inputs)}"
        )
    recommended = set(answer.recommended.model_dump().values()) - {None}
    rows = [("model", "forecast", "verdict", "")] + [
        (
            name,
            _forecast(output),
            _verdict(output),
            "recommended" if name in recommended else "",
        )
        for name, output in answer.predictions.items()
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
        + ("  " + row[3] if row[3] else "")
        for row in rows
    ]
    return "\n".join([*header, "", *(line.rstrip() for line in lines)])


def _fail(message: str, status: int) -> click.exceptions.Exit:
    click.echo(f"{MESSAGE_PREFIX}{message}", err=True)
    return click.exceptions.Exit(status)


def load_service(settings: Settings) -> ModelService:
    """A service holding the latest version, loaded once (no polling)."""
    service = ModelService(
        KedroModelSource.from_settings(settings),
        poll_interval=settings.poll_interval,
        policy=settings.policy,
    )
    result = asyncio.run(service.check())
    if service.state is None:
        reason = (
            f"{result.error.stage}: {result.error.message}"
            if result.error
            else "no model version is published yet (run the export pipeline)"
        )
        raise _fail(
            f"no model version could be loaded ({reason})", NO_VERSION_EXIT_CODE
        )
    return service


def _params(ctx: click.Context, param: click.Parameter, text: str) -> dict[str, str]:
    try:
        return parse_params(text)
    except argparse.ArgumentTypeError as error:
        raise click.BadParameter(str(error)) from None


@click.command(name="predict")
@click.argument("ativo")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON of GET /predict.")
@click.option("--env", "-e", default=None, help="Kedro environment, e.g. s3.")
@click.option(
    "--conf-source",
    type=click.Path(path_type=Path),
    default=None,
    help="Configuration folder replacing conf/.",
)
@click.option(
    "--params",
    default="",
    callback=_params,
    help="Runtime parameters as in kedro run, e.g. bucket=my-bucket.",
)
def predict(
    ativo: str,
    as_json: bool,
    env: str | None,
    conf_source: Path | None,
    params: dict[str, str],
) -> None:
    """Every model's prediction for ATIVO from the latest published version.

    Reads the registry and features of the project in the working directory (the
    same answer as the API's GET /predict?ativo=ATIVO).
    """
    # The catalog's INFO lines would mix with the answer: only warnings, on stderr.
    logging.disable(logging.INFO)
    overrides = {
        "env": env,
        "conf_source": conf_source.resolve() if conf_source else None,
        "params": params or None,
    }
    settings = Settings(**{k: v for k, v in overrides.items() if v is not None})
    try:
        service = load_service(settings)
        if as_json:
            sys.stdout.buffer.write(service.body(ativo) + b"\n")
        else:
            click.echo(format_table(service.answer(ativo)))
    except AssetNotServed as refused:
        raise _fail(refused.message, REFUSED_EXIT_CODE) from None
    except ProjectNotFound as error:
        raise _fail(str(error), REFUSED_EXIT_CODE) from None
