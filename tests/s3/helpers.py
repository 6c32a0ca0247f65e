"""Running the project's CLI on the s3 environment against the SeaweedFS fixture."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.kedro_project import KedroProject
from tests.s3_server import SeaweedS3

# The dated feature file is named after this run date (the day after the real data ends).
RUN_DATE = "20210707"
MODELS = (
    "regressor_lin",
    "regressor_gbr",
    "regressor_rf",
    "classifier_log",
    "classifier_rf",
)


def run_s3(
    project: KedroProject,
    server: SeaweedS3,
    *args: str,
    bucket: str,
    env: dict[str, str] | None = None,
    timeout: int = 600,
    params: str = "",
) -> subprocess.CompletedProcess:
    """``kedro run --env s3 --params bucket=...,run_date=...[,params] <args>`` in a
    subprocess."""
    return project.kedro(
        "run",
        "--env",
        "s3",
        "--params",
        ",".join(filter(None, [f"bucket={bucket}", f"run_date={RUN_DATE}", params])),
        *args,
        env=server.aws_environment(**(env or {})),
        timeout=timeout,
    )


def prepare_bucket(server: SeaweedS3, bucket: str, raw_csv: Path | None) -> None:
    """Create ``bucket`` and, when given, upload ``raw_csv`` as ``raw/raw.csv``."""
    server.create_bucket(bucket)
    if raw_csv is not None:
        server.client().upload_file(str(raw_csv), bucket, "raw/raw.csv")


def output_tail(result: subprocess.CompletedProcess, chars: int = 4000) -> str:
    """The end of a run's output, for assertion messages."""
    return (
        f"exit {result.returncode}\n{result.stdout[-chars:]}\n{result.stderr[-chars:]}"
    )
