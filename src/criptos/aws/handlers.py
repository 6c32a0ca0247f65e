"""AWS Lambda handlers: each stage of the DAG is one Kedro session on the ``s3`` environment.

``feature_job``, ``train`` and ``export`` run the pipelines of their stage
(``criptos.aws.stages``) exactly as ``kedro run --env s3 --pipelines ...
--params bucket=B,run_date=D`` does, and return a small JSON result that Step
Functions hands to the next stage: ``{"stage", "pipeline", "bucket", "run_date",
"run_id", "model_version"}`` (``run_id`` is the Kedro session id, which versions the
training artifacts; ``model_version`` is the version ``export`` published). Each run
logs one ``criptos.aws`` line with that result and its duration.

A bad event, a missing bucket, wrong credentials or any other broken input fails
with ``HandlerInputError`` and a message naming it, raised before anything is
written (the s3 preflight, ``criptos.s3.preflight``, checks endpoint, credentials,
bucket and inputs before the first node); any other failure is ``StageFailed``,
which Step Functions retries.

``api`` is the FastAPI app behind Mangum, for API Gateway HTTP API (payload 2.0)
and ALB events. The app's lifespan runs once per container, at its first request:
that cold start loads ``models/latest``; later requests reuse it, and the service's
poller picks up a new version while the container lives (``criptos.api.service``).

Where the project is: ``CRIPTOS_PROJECT_PATH`` (default: the working directory,
``/app`` in the image); ``CRIPTOS_CONF_SOURCE`` replaces its ``conf/``. The bucket
comes from the event or ``CRIPTOS_BUCKET`` (``criptos.aws.events``); the S3
endpoint and credentials from the standard AWS variables.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Mapping
from contextlib import AsyncExitStack
from functools import cache
from pathlib import Path
from typing import Any

from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

from criptos.api.settings import Settings
from criptos.aws.events import (
    BUCKET_ENV,
    HandlerInputError,
    StageRequest,
    default_bucket,
    parse_stage_event,
)
from criptos.aws.stages import Stage, stage_of_handler
from criptos.config.run_date import resolve_run_date
from criptos.contracts.errors import InputError, find_input_error
from criptos.s3.preflight import S3PreflightError

__all__ = ["HandlerInputError", "StageFailed", "api", "export", "feature_job", "train"]

logger = logging.getLogger("criptos.aws")

KEDRO_ENV = "s3"
PROJECT_PATH_ENV = "CRIPTOS_PROJECT_PATH"
CONF_SOURCE_ENV = "CRIPTOS_CONF_SOURCE"
REGISTRY_DATASET = "model_registry"


class StageFailed(RuntimeError):
    """A stage's run failed for a reason other than its input (worth a retry)."""


@cache
def project_path() -> Path:
    """The Kedro project the handlers run, bootstrapped once per container."""
    path = Path(os.environ.get(PROJECT_PATH_ENV) or Path.cwd()).resolve()
    if not (path / "pyproject.toml").is_file():
        raise HandlerInputError(
            f"no Kedro project at {path} (no pyproject.toml): set {PROJECT_PATH_ENV}"
        )
    bootstrap_project(path)
    return path


def _published_version(session: KedroSession) -> str | None:
    catalog = session.load_context().catalog
    manifest = catalog[REGISTRY_DATASET].latest_manifest()
    return manifest.get("version") if manifest else None


def _run_pipelines(stage: Stage, request: StageRequest, run_date: str) -> dict:
    with KedroSession.create(
        project_path=project_path(),
        env=KEDRO_ENV,
        runtime_params={"bucket": request.bucket, "run_date": run_date},
        conf_source=os.environ.get(CONF_SOURCE_ENV) or None,
    ) as session:
        session.run(pipeline_names=list(stage.pipelines))
        return {
            "run_id": session.session_id,
            "model_version": (
                _published_version(session) if "export" in stage.pipelines else None
            ),
        }


def run_stage(stage: Stage, event: Any) -> dict[str, Any]:
    """Run ``stage`` for ``event``; its result, or ``HandlerInputError``/``StageFailed``."""
    request = parse_stage_event(event, accepts_uploads=stage.handler == "feature_job")
    run_date = resolve_run_date(request.run_date)
    started = time.perf_counter()
    try:
        outcome = _run_pipelines(stage, request, run_date)
    except Exception as error:
        input_error = find_input_error(error, (InputError, S3PreflightError))
        where = f"{stage.state} stage on bucket {request.bucket}"
        if input_error is not None:
            logger.error("%s refused its input: %s", where, input_error)
            raise HandlerInputError(f"{where}: {input_error}") from error
        logger.exception("%s failed", where)
        raise StageFailed(f"{where} failed: {type(error).__name__}: {error}") from error
    result = {
        "stage": stage.state,
        "pipeline": list(stage.pipelines),
        "bucket": request.bucket,
        "run_date": run_date,
        "trigger": request.trigger,
        **outcome,
    }
    logger.info(
        "criptos %s %s in %.1f s",
        stage.handler,
        json.dumps(result, sort_keys=True),
        time.perf_counter() - started,
    )
    return result


def feature_job(event: Any, context: Any = None) -> dict[str, Any]:
    """Feature engineering: the daily schedule, an upload of raw/raw.csv, or a task."""
    return run_stage(stage_of_handler("feature_job"), event)


def train(event: Any, context: Any = None) -> dict[str, Any]:
    """Training with walk-forward evaluation, then the backtest of that run."""
    return run_stage(stage_of_handler("train"), event)


def export(event: Any, context: Any = None) -> dict[str, Any]:
    """Publish the newest complete training run as models/<version> and models/latest."""
    return run_stage(stage_of_handler("export"), event)


def api_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """The API's settings (``CRIPTOS_API_*``) with the handlers' defaults beneath:
    the ``s3`` environment, this project and the bucket of ``CRIPTOS_BUCKET``."""
    environ = os.environ if environ is None else environ
    settings = Settings()
    defaults: dict[str, Any] = {}
    if settings.env is None:
        defaults["env"] = KEDRO_ENV
    if settings.project_path is None:
        defaults["project_path"] = project_path()
    if settings.conf_source is None and environ.get(CONF_SOURCE_ENV):
        defaults["conf_source"] = Path(environ[CONF_SOURCE_ENV])
    if "bucket" not in settings.params and environ.get(BUCKET_ENV, "").strip():
        defaults["params"] = {**settings.params, "bucket": default_bucket(environ)}
    return settings.model_copy(update=defaults)


class _ApiContainer:
    """The app, its event loop and its lifespan, started once per Lambda container.

    Mangum would run the lifespan around every invocation (loading the models each
    time); here it is entered on the first request and left open, and Mangum runs
    each request on the same loop, where the service's poller lives too.
    """

    def __init__(self) -> None:
        from mangum import Mangum  # noqa: PLC0415 (the aws extra; api only)

        from criptos.api.app import create_app  # noqa: PLC0415

        self.app = create_app(api_settings())
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self._lifespan = AsyncExitStack()
        started = time.perf_counter()
        self.loop.run_until_complete(
            self._lifespan.enter_async_context(
                self.app.router.lifespan_context(self.app)
            )
        )
        # The poller's first check would finish after the first request has been
        # answered 503: the cold start waits for the models instead.
        self.loop.run_until_complete(self.app.state.service.check())
        logger.info("criptos api cold start in %.1f s", time.perf_counter() - started)
        self.handler = Mangum(self.app, lifespan="off")

    def close(self) -> None:
        """Leave the lifespan (stops the poller) and close the loop."""
        self.loop.run_until_complete(self._lifespan.aclose())
        self.loop.close()


@cache
def _api_container() -> _ApiContainer:
    return _ApiContainer()


def api(event: Any, context: Any = None) -> dict[str, Any]:
    """The prediction API for API Gateway HTTP API (v2) and ALB events."""
    container = _api_container()
    asyncio.set_event_loop(container.loop)
    return container.handler(event, context)
