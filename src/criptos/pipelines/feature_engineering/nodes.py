"""Nodes of the feature_engineering pipeline."""

from __future__ import annotations

import logging
import time
from typing import Any

import pandas as pd

from criptos.features import FeatureParams, compute_features
from criptos.validation import validate_candles

logger = logging.getLogger(__name__)


def validate_raw_candles(
    raw_candles: pd.DataFrame, validation: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Check every raw row; return clean typed candles, quarantined rows and the report.

    Fails the run (writing nothing) for a file without data rows or when the share
    of quarantined rows exceeds ``validation.max_quarantine_share``.
    """
    result = validate_candles(
        raw_candles, max_quarantine_share=float(validation["max_quarantine_share"])
    )
    logger.info(
        "Validated %d raw rows: %d clean, %d quarantined, %d exact duplicates removed",
        result.report["rows_read"],
        result.report["rows_valid"],
        result.report["rows_quarantined"],
        result.report["exact_duplicates_removed"],
    )
    return result.candles, result.quarantine, result.report


def build_features(candles: pd.DataFrame, feature_params: dict[str, Any]) -> pd.DataFrame:
    """Compute the feature table from clean candles (see ``criptos.features``)."""
    params = FeatureParams.from_dict(feature_params)
    started = time.perf_counter()
    features = compute_features(candles, params)
    logger.info(
        "Computed %d feature columns for %d rows of %d assets in %.2f s",
        features.shape[1],
        len(features),
        features["ativo"].nunique(),
        time.perf_counter() - started,
    )
    return features


def publish_latest_features(dated_features: pd.DataFrame) -> pd.DataFrame:
    """Hand the completed dated features on as the new ``cripto_features_latest``.

    Being a separate node makes the order explicit: latest is replaced only once the
    dated file is fully written.
    """
    return dated_features
