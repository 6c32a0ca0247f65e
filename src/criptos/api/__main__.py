"""``python -m criptos.api --host 127.0.0.1 --port 8000 [--project-path P] [--env E]``."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path

import uvicorn

from criptos.api.app import create_app
from criptos.api.settings import Settings
from criptos.api.source import ProjectNotFound, find_project


def parse_params(text: str) -> dict[str, str]:
    """``key=value[,key=value]`` into a dict (the syntax of ``kedro run --params``)."""
    params = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, separator, value = item.partition("=")
        if not separator or not key.strip():
            raise argparse.ArgumentTypeError(f"expected key=value, got {item!r}")
        params[key.strip()] = value.strip()
    return params


def build_parser() -> argparse.ArgumentParser:
    """Command-line options; anything not given comes from CRIPTOS_API_* / KEDRO_ENV."""
    parser = argparse.ArgumentParser(
        prog="python -m criptos.api", description="Serve the criptos models over HTTP."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--project-path",
        type=Path,
        help="Kedro project root (default: found from the working directory)",
    )
    parser.add_argument(
        "--env", help="Kedro environment, e.g. s3 (default: KEDRO_ENV or local)"
    )
    parser.add_argument(
        "--conf-source", type=Path, help="configuration folder replacing conf/"
    )
    parser.add_argument(
        "--poll-interval",
        type=float,
        help="seconds between manifest checks (default 10)",
    )
    parser.add_argument(
        "--params",
        type=parse_params,
        help="runtime parameters as in kedro run, e.g. bucket=my-bucket[,key=value]",
    )
    parser.add_argument("--log-level", default="info")
    parser.add_argument(
        "--no-access-log", action="store_true", help="do not log every request"
    )
    return parser


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Settings from the environment, with the options given on the command line on top."""
    overrides = {
        "project_path": args.project_path.resolve() if args.project_path else None,
        "env": args.env,
        "conf_source": args.conf_source.resolve() if args.conf_source else None,
        "poll_interval": args.poll_interval,
        "params": args.params,
    }
    return Settings(
        **{key: value for key, value in overrides.items() if value is not None}
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Run the service with uvicorn until interrupted."""
    parser = build_parser()
    args = parser.parse_args(argv)
    settings = settings_from_args(args)
    try:
        root = find_project(settings.project_path)
    except ProjectNotFound as error:
        parser.error(str(error))
    # Like the kedro CLI, run from the project root, so that any relative path a
    # custom dataset or hook uses means the same as in `kedro run`.
    os.chdir(root)
    settings = settings.model_copy(update={"project_path": root})
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        access_log=not args.no_access_log,
    )


if __name__ == "__main__":
    main()
