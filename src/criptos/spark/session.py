"""The SparkSession of the ``spark`` environment, built from ``conf/<env>/spark.yml``."""

from __future__ import annotations

import logging
import os
import sys
import warnings
from typing import Any

from kedro.config import MissingConfigException
from kedro.framework.context import KedroContext
from kedro.framework.hooks import hook_impl

logger = logging.getLogger(__name__)

APP_NAME = "criptos"


class SparkSessionHook:
    """Starts the SparkSession when the run's environment has Spark settings.

    Environments without ``spark.yml`` (base, local, s3) never import PySpark. The
    settings (``spark.master``, memory, shuffle partitions, ...) come from the YAML
    file as they are, so a cluster or AWS Glue only needs another environment file.
    A session that is already active (AWS Glue's, made before Kedro starts) is
    reused instead of building another one.
    """

    @hook_impl
    def after_context_created(self, context: KedroContext) -> None:
        try:
            settings = dict(context.config_loader["spark"] or {})
        except MissingConfigException:
            return
        if not settings:
            return
        # Python workers must run this interpreter (it has pyarrow, pandas, criptos).
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
        # PySpark 4.3 warns on every run that it "does not yet fully support pandas
        # >= 3.0.0", and its own Arrow conversion passes pandas 3's deprecated copy=;
        # the engine's pandas use is tested on 2.2 and 3 (tests/spark).
        warnings.filterwarnings(
            "ignore",
            message=r"PySpark does not yet fully support pandas >= 3\.0\.0",
            category=FutureWarning,
        )
        warnings.filterwarnings(
            "ignore", message="The copy keyword is deprecated", module=r"pyspark\."
        )
        from pyspark import SparkConf  # noqa: PLC0415 - only the spark environment needs PySpark
        from pyspark.sql import SparkSession  # noqa: PLC0415

        active = SparkSession.getActiveSession()
        if active is not None:
            session = _reuse(active, settings)
        else:
            conf = SparkConf().setAll(
                [(str(key), str(value)) for key, value in settings.items()]
            )
            session = (
                SparkSession.builder.appName(APP_NAME).config(conf=conf).getOrCreate()
            )
        session.sparkContext.setLogLevel("WARN")
        logger.info(
            "Spark session %s on %s%s",
            session.version,
            session.sparkContext.master,
            " (reused)" if active is not None else "",
        )


def _reuse(session: Any, settings: dict[str, Any]) -> Any:
    """The session that already runs (AWS Glue's, a notebook's) keeps its cluster,
    master and memory; the settings Spark can change on a running session (the SQL
    ones: time zone, Arrow, shuffle partitions) are applied to it."""
    for key, value in settings.items():
        if session.conf.isModifiable(str(key)):
            session.conf.set(str(key), str(value))
    return session
