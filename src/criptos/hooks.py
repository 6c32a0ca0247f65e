"""Project hooks."""

from __future__ import annotations

import logging
import time
from typing import Any

from kedro.framework.hooks import hook_impl
from kedro.pipeline import Pipeline

from criptos.s3.preflight import check_s3_locations, dataset_location

logger = logging.getLogger(__name__)


class S3PreflightHook:
    """Before a run touching S3, check endpoint, credentials, buckets and inputs.

    Does nothing when no dataset of the run lives on S3 (the local environment).
    A failed check stops the run before any node, so the bucket is left as it was.
    """

    def __init__(self) -> None:
        self._catalog_config: dict[str, Any] = {}

    @hook_impl
    def after_context_created(self, context: Any) -> None:
        self._catalog_config = dict(context.config_loader["catalog"])

    @hook_impl
    def before_pipeline_run(
        self, run_params: dict[str, Any], pipeline: Pipeline, catalog: Any
    ) -> None:
        locations = [
            location
            for name in sorted(pipeline.datasets())
            if isinstance(self._catalog_config.get(name), dict)
            and (location := dataset_location(name, self._catalog_config[name]))
            is not None
        ]
        check_s3_locations(
            locations,
            required=pipeline.inputs(),
            loads_when_missing=lambda name: _loads(catalog, name),
        )


class RunTimerHook:
    """Logs how long the pipeline itself ran, start-up of Python and Kedro excluded."""

    def __init__(self) -> None:
        self._started = 0.0

    @hook_impl
    def before_pipeline_run(self) -> None:
        self._started = time.perf_counter()

    @hook_impl
    def after_pipeline_run(self) -> None:
        logger.info("Pipeline ran in %.2f s", time.perf_counter() - self._started)


def _loads(catalog: Any, name: str) -> bool:
    """Whether dataset ``name`` loads although its file is absent (an optional input)."""
    try:
        catalog.load(name)
    except Exception:  # any failure means the input is really needed
        return False
    logger.info("%s is absent from the bucket but optional: the run goes on", name)
    return True
