"""AWS Glue 5.0 entry script of the feature job (kept thin: criptos.aws.glue does it).

Glue runs it as ``feature_job.py --JOB_NAME NAME --bucket B [--run_date YYYYMMDD]
[--conf_source conf-criptos.tar.gz]`` plus arguments of its own; locally (no
``awsglue``) the same command line works with plain ``python``.
"""

from __future__ import annotations

import argparse
import sys

from criptos.aws.glue import run_feature_job

REQUIRED = ["JOB_NAME", "bucket"]
OPTIONAL = ["run_date", "conf_source"]


def job_arguments(argv: list[str]) -> dict[str, str | None]:
    """Glue's job arguments (``getResolvedOptions`` on Glue, argparse elsewhere)."""
    try:
        from awsglue.utils import getResolvedOptions  # noqa: PLC0415 (Glue's runtime)
    except ImportError:
        parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
        parser.add_argument("--JOB_NAME", default="criptos-feature-job")
        parser.add_argument("--bucket", required=True)
        for name in OPTIONAL:
            parser.add_argument(f"--{name}")
        known, _ = parser.parse_known_args(argv[1:])  # Glue adds arguments of its own
        return vars(known)
    # getResolvedOptions requires every option it is given: optional ones only if passed.
    present = [name for name in OPTIONAL if f"--{name}" in argv]
    return getResolvedOptions(argv, REQUIRED + present)


if __name__ == "__main__":
    arguments = job_arguments(sys.argv)
    run_feature_job(
        arguments["bucket"],
        arguments.get("run_date"),
        conf_source=arguments.get("conf_source"),
    )
