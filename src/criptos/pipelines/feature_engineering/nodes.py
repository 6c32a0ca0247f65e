"""Nodes of the feature_engineering pipeline."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from criptos.datasets.previous_features import PreviousFeatures
from criptos.features import FeatureParams
from criptos.features.incremental import IncrementalFeatureTable, PreviousTable
from criptos.features.table import METADATA_KEY, FeatureTable, feature_metadata
from criptos.validation import validate_candles

logger = logging.getLogger(__name__)


def validate_raw_candles(
    raw_candles: pd.DataFrame, validation: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Check every raw row; return clean typed candles, quarantined rows and the report.

    Fails the run (writing nothing) for a file without data rows or when the share
    of quarantined rows exceeds ``validation.max_quarantine_share``. A Spark
    DataFrame (``--env spark``) is validated by the same rules on Spark.
    """
    if not isinstance(raw_candles, pd.DataFrame):
        from criptos.pipelines.feature_engineering import spark_engine  # noqa: PLC0415

        return spark_engine.validate_spark(
            raw_candles, float(validation["max_quarantine_share"])
        )
    result = validate_candles(
        raw_candles,
        max_quarantine_share=float(validation["max_quarantine_share"]),
        consume=True,  # the raw text is not needed after this node: free it early
    )
    logger.info(
        "Validated %d raw rows: %d clean, %d quarantined, %d exact duplicates removed",
        result.report["rows_read"],
        result.report["rows_valid"],
        result.report["rows_quarantined"],
        result.report["exact_duplicates_removed"],
    )
    return result.candles, result.quarantine, result.report


MODES = ("incremental", "full")


def _incremental_state(
    previous_features: PreviousFeatures | None, params: FeatureParams
) -> PreviousTable | None:
    """The previous table if an incremental run can continue it, else None (and why)."""
    if previous_features is None:
        return None
    produced_by = previous_features.metadata().get(METADATA_KEY)
    if produced_by is None:
        logger.info("Full recompute: no previous feature table written by this version")
        return None
    if produced_by != feature_metadata(params):
        logger.warning(
            "Full recompute: the previous feature table was built with other definitions "
            "or parameters (%s, now %s)",
            produced_by,
            feature_metadata(params),
        )
        return None
    return previous_features.open()


def build_features(
    candles: pd.DataFrame,
    feature_params: dict[str, Any],
    previous_features: PreviousFeatures | None = None,
) -> FeatureTable | IncrementalFeatureTable:
    """The feature table of clean candles (see ``criptos.features``), computed lazily.

    ``feature_params["mode"]``: ``incremental`` (default) continues the previous
    ``cripto_features_latest`` with the new candles and falls back to a full
    recompute when there is no usable previous table; ``full`` recomputes everything
    from the candles. The table is computed batch by batch while it is written.
    """
    settings = dict(feature_params or {})
    mode = settings.pop("mode", "incremental")
    if mode not in MODES:
        raise ValueError(
            f"feature_engineering.mode must be one of {', '.join(MODES)}, got {mode!r}"
        )
    params = FeatureParams.from_dict(settings)
    if not isinstance(candles, pd.DataFrame):
        from criptos.pipelines.feature_engineering import spark_engine  # noqa: PLC0415

        if mode == "incremental":
            logger.info(
                "Spark recomputes every feature (incremental mode is the local engine's)"
            )
        return spark_engine.features_spark(candles, params)
    if mode == "incremental":
        previous = _incremental_state(previous_features, params)
        if previous is not None:
            logger.info(
                "Incremental features: %d new candles continue the previous table",
                len(candles),
            )
            return IncrementalFeatureTable(candles, previous, params)
    logger.info("Full feature recompute for %d candles", len(candles))
    return FeatureTable(candles, params)


def publish_latest_features(
    dated_features: FeatureTable | IncrementalFeatureTable,
) -> FeatureTable | IncrementalFeatureTable:
    """Hand the completed dated features on as the new ``cripto_features_latest``.

    Being a separate node makes the order explicit: latest is replaced only once the
    dated file is fully written (and it is a byte copy of that file).
    """
    return dated_features
