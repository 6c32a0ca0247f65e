"""Nodes of the feature_engineering pipeline."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
import pyarrow as pa

from criptos.contracts.errors import InputError
from criptos.datasets.previous_features import PreviousFeatures
from criptos.feature_store.history import (
    INGEST_MODES,
    CandleHistory,
    append_history,
    log_change,
    snapshot_history,
)
from criptos.feature_store.stored_history import open_stored
from criptos.features import FeatureParams
from criptos.features.incremental import IncrementalFeatureTable, PreviousTable
from criptos.features.table import METADATA_KEY, FeatureTable, feature_metadata
from criptos.validation import validate_candles, validation_bounds

logger = logging.getLogger(__name__)


def validate_raw_candles(
    raw_candles: pd.DataFrame,
    validation: dict[str, Any],
    run_date: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Check every raw row; return clean typed candles, quarantined rows and the report.

    Candle days must lie between ``validation.min_date`` and ``run_date`` (the
    top-level ``YYYYMMDD`` parameter; None: today, UTC) + 1 day. Fails the run
    (writing nothing) for a file without data rows or when the share of quarantined
    rows exceeds ``validation.max_quarantine_share``. A Spark DataFrame
    (``--env spark``) is validated by the same rules on Spark.
    """
    bounds = validation_bounds(validation, run_date)
    if not isinstance(raw_candles, pd.DataFrame):
        from criptos.pipelines.feature_engineering import spark_engine  # noqa: PLC0415

        return spark_engine.validate_spark(
            raw_candles, float(validation["max_quarantine_share"]), bounds
        )
    result = validate_candles(
        raw_candles,
        max_quarantine_share=float(validation["max_quarantine_share"]),
        consume=True,  # the raw text is not needed after this node: free it early
        bounds=bounds,
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


def _feature_settings(feature_params: dict[str, Any]) -> tuple[str, str, FeatureParams]:
    """(mode, ingest, feature parameters) of ``params:feature_engineering``."""
    settings = dict(feature_params or {})
    mode = settings.pop("mode", "incremental")
    ingest = settings.pop("ingest", "snapshot")
    if mode not in MODES:
        raise InputError(
            f"feature_engineering.mode must be one of {', '.join(MODES)}, got {mode!r}"
        )
    if ingest not in INGEST_MODES:
        raise InputError(
            f"feature_engineering.ingest must be one of {', '.join(INGEST_MODES)}, "
            f"got {ingest!r}"
        )
    return mode, ingest, FeatureParams.from_dict(settings)


def update_candle_history(
    candles: pd.DataFrame,
    stored_history: PreviousFeatures,
    feature_params: dict[str, Any],
    validation_report: dict[str, Any] | None = None,
) -> CandleHistory:
    """The candle history after this run's clean candles (``feature_engineering.ingest``).

    ``snapshot``: the history becomes exactly ``candles``; ``append``: the stored
    history plus ``candles``, which win on the same (ativo, data). See
    ``criptos.feature_store.history``. No clean candle at all is an error: nothing
    is replaced. The history's metadata records what changed and the validation
    outcome of this run.
    """
    _, ingest, _ = _feature_settings(feature_params)
    if not isinstance(candles, pd.DataFrame):
        from criptos.feature_store.spark_history import (  # noqa: PLC0415
            update_history_spark,
        )

        return update_history_spark(candles, stored_history.path, ingest)
    if candles.empty:
        raise InputError(
            "the raw file has no clean candle left after validation: nothing to "
            f"{'append' if ingest == 'append' else 'build the history from'}; the "
            "stored history and features are left as they were (see "
            "validation_report.json for why every row was quarantined)"
        )
    stored = open_stored(stored_history, required=ingest == "append")
    if ingest == "append":
        history = append_history(candles, stored)
    else:
        history = snapshot_history(candles, stored)
    history.validation = dict(validation_report or {})
    log_change(history.change, stored_history.path)
    return history


def _full_recompute_reason(
    previous_features: PreviousFeatures, params: FeatureParams, history: CandleHistory
) -> str | None:
    """Why the previous table cannot be continued, or None when it can.

    It can when it was built with these definitions and parameters from the stored
    history, and the history only grew since: then continuing it with this run's
    candles equals computing the new history in full.
    """
    try:
        produced_by = dict(previous_features.metadata().get(METADATA_KEY) or {})
    except (OSError, ValueError, pa.ArrowException) as error:
        return f"the previous feature table is unreadable ({error})"
    if not produced_by:
        return "no previous feature table written by this version"
    built_from = produced_by.pop("history", None)
    if produced_by != feature_metadata(params):
        return (
            "the previous feature table was built with other definitions or "
            f"parameters ({produced_by}, now {feature_metadata(params)})"
        )
    if built_from is None or built_from != history.previous_generation:
        return "the previous feature table was not built from the stored history"
    if not history.change.only_grew:
        return f"the snapshot dropped {history.change.dropped_days} stored days"
    return None


def _incremental_state(
    previous_features: PreviousFeatures | None,
    params: FeatureParams,
    history: CandleHistory,
) -> PreviousTable | None:
    """The previous table if an incremental run can continue it, else None (and why)."""
    if previous_features is None:
        return None
    reason = _full_recompute_reason(previous_features, params, history)
    if reason is None:
        try:
            return previous_features.open()
        except (OSError, ValueError, pa.ArrowException) as error:
            reason = f"the previous feature table is unreadable ({error})"
    logger.info("Full recompute from the candle history: %s", reason)
    return None


def build_features(
    history: CandleHistory,
    feature_params: dict[str, Any],
    previous_features: PreviousFeatures | None = None,
) -> FeatureTable | IncrementalFeatureTable:
    """The feature table of the candle history (see ``criptos.features``), computed lazily.

    ``feature_params["mode"]``: ``incremental`` (default) continues the previous
    ``cripto_features_latest`` with this run's candles when that equals a full
    recompute of the history (see ``_incremental_state``), and recomputes from the
    history otherwise; ``full`` always recomputes. The table is computed batch by
    batch while it is written.
    """
    mode, _, params = _feature_settings(feature_params)
    if not isinstance(history, CandleHistory):
        from criptos.pipelines.feature_engineering import spark_engine  # noqa: PLC0415

        if mode == "incremental":
            logger.info(
                "Spark recomputes every feature (incremental mode is the local engine's)"
            )
        return spark_engine.features_spark(history, params)
    if mode == "incremental":
        previous = _incremental_state(previous_features, params, history)
        if previous is not None:
            logger.info(
                "Incremental features: %d new candles continue the previous table",
                len(history.new_candles),
            )
            return IncrementalFeatureTable(
                history.new_candles, previous, params, source=history.generation
            )
    logger.info("Full feature recompute for %d candles", history.num_rows)
    return FeatureTable(history.candles(), params, source=history.generation)


def publish_latest_features(
    dated_features: FeatureTable | IncrementalFeatureTable,
    history: CandleHistory,
    validation_report: dict[str, Any],
) -> FeatureTable | IncrementalFeatureTable:
    """Hand the completed dated features on as the new ``cripto_features_latest``.

    Being a separate node makes the order explicit: latest is replaced only once the
    dated file is fully written (and it is a byte copy of that file). Logs the run's
    one-line summary.
    """
    if isinstance(history, CandleHistory):
        quarantined = {
            rule: count
            for rule, count in validation_report.get("quarantined_by_rule", {}).items()
            if count
        }
        logger.info(
            "Feature run: %s; %d raw rows quarantined%s; %d feature rows computed "
            "(mode %s)",
            history.change.describe(),
            sum(quarantined.values()),
            f" ({', '.join(f'{r}={n}' for r, n in quarantined.items())})"
            if quarantined
            else "",
            dated_features.rows_computed,
            "incremental"
            if isinstance(dated_features, IncrementalFeatureTable)
            else "full",
        )
    return dated_features
