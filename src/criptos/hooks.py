"""Project hooks."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pandas as pd
from kedro.framework.hooks import hook_impl
from kedro.pipeline import Node, Pipeline

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


class NodeLogHook:
    """Logs one INFO line per node: its name, duration and the rows of its outputs.

    The duration runs from the node's first input load to its last output save, so
    it includes the I/O Kedro does for the node (a lazy output such as the feature
    table is computed while it is saved). Outputs that are pandas DataFrames show
    their row count; other outputs are not named. Kedro's own per-node lines
    (loading, running, saving, "Completed n out of m tasks") are left to DEBUG by
    ``conf/logging.yml``, so this is the one line a node costs the log.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._started: dict[str, float] = {}
        self._unsaved: dict[str, int] = {}
        self._rows: dict[str, list[tuple[str, int]]] = {}

    @hook_impl
    def before_pipeline_run(self) -> None:
        with self._lock:
            self._started.clear()
            self._unsaved.clear()
            self._rows.clear()

    @hook_impl
    def before_dataset_loaded(self, node: Node) -> None:
        self._start(node)

    @hook_impl
    def before_node_run(self, node: Node) -> None:
        self._start(node)

    @hook_impl
    def after_node_run(self, node: Node, outputs: dict[str, Any]) -> None:
        with self._lock:
            self._rows[node.name] = [
                (name, len(data))
                for name, data in outputs.items()
                if isinstance(data, pd.DataFrame)
            ]
            self._unsaved[node.name] = len(outputs)
        if not outputs:
            self._finish(node)

    @hook_impl
    def after_dataset_saved(self, node: Node) -> None:
        with self._lock:
            left = self._unsaved.get(node.name, 0) - 1
            self._unsaved[node.name] = left
        if left == 0:
            self._finish(node)

    @hook_impl
    def on_node_error(self, node: Node) -> None:
        with self._lock:
            self._forget(node.name)

    def _start(self, node: Node) -> None:
        with self._lock:
            self._started.setdefault(node.name, time.perf_counter())

    def _finish(self, node: Node) -> None:
        with self._lock:
            started = self._started.get(node.name)
            rows = self._rows.get(node.name, [])
            self._forget(node.name)
        if started is None:
            return
        counts = ", ".join(f"{name} {count} rows" for name, count in rows)
        logger.info(
            "Node %s done in %.2f s%s",
            node.name,
            time.perf_counter() - started,
            f": {counts}" if counts else "",
        )

    def _forget(self, name: str) -> None:
        self._started.pop(name, None)
        self._unsaved.pop(name, None)
        self._rows.pop(name, None)


def _loads(catalog: Any, name: str) -> bool:
    """Whether dataset ``name`` loads although its file is absent (an optional input)."""
    try:
        catalog.load(name)
    except Exception:  # any failure means the input is really needed
        return False
    logger.info("%s is absent from the bucket but optional: the run goes on", name)
    return True


class ParametersHook:
    """Parses the run's parameters once, before the catalog exists, and hands nodes
    the result.

    The whole tree is checked (``criptos.config.parameters``; a misspelt key at any
    level is named with the closest known one), then every ``params:<path>`` entry of
    the catalog holds the parsed object at that path (``params:training`` a
    ``TrainingParams``, ``params:training.models.x`` its named ``ModelSpec``...). A run
    that trains also instantiates every estimator once and checks its models are
    those the training pipeline was built with.
    """

    def __init__(self) -> None:
        self._parsed: Any = None

    @hook_impl
    def after_context_created(self, context: Any) -> None:
        from criptos.config.models import use_run_models  # noqa: PLC0415
        from criptos.config.parameters import parse_parameters  # noqa: PLC0415

        self._parsed = parse_parameters(dict(context.config_loader["parameters"]))
        training = self._parsed.training
        use_run_models(training.model_names if training is not None else None)

    @hook_impl
    def after_catalog_created(self, catalog: Any) -> None:
        from criptos.config.parameters import (  # noqa: PLC0415
            PARAMS_PREFIX,
            is_parsed_section,
            parameter_at,
        )

        for name in list(catalog.keys()):
            if name.startswith(PARAMS_PREFIX):
                value = parameter_at(self._parsed, name)
                if is_parsed_section(value):  # plain values are as Kedro gave them
                    catalog.save(name, value)

    @hook_impl
    def before_pipeline_run(self, pipeline: Pipeline, catalog: Any) -> None:
        if not any(name.startswith("params:training") for name in pipeline.inputs()):
            return
        from criptos.config.models import check_trained_models  # noqa: PLC0415

        check_trained_models(catalog.load("params:training"), pipeline)
