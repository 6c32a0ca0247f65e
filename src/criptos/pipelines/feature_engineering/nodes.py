"""Nodes of the feature_engineering pipeline."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
import pyarrow as pa

from criptos.contracts.errors import InputError
from criptos.feature_store import TableLocation
from criptos.feature_store.candle_history import CandleHistory, log_change
from criptos.feature_store.history import append_history, snapshot_history
from criptos.feature_store.stored_history import open_stored
from criptos.features import FeatureParams
from criptos.features.incremental import IncrementalFeatureTable
from criptos.features.params import FeatureEngineeringParams
from criptos.features.state import PreviousTable
from criptos.features.table import METADATA_KEY, FeatureTable, feature_metadata
from criptos.validation import validate_candles, validation_bounds
from criptos.validation.params import ValidationParams

logger = logging.getLogger(__name__)


def validate_raw_candles(
    raw_candles: pd.DataFrame,
    validation: ValidationParams,
    run_date: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Check every raw row; return clean typed candles, quarantined rows and the report.

    Candle days must lie between ``validation.min_date`` and ``run_date`` (the
    top-level ``YYYYMMDD`` parameter; None: today, UTC) + 1 day. Fails the run
    (writing nothing) for a file without data rows or when the share of quarantined
    rows exceeds ``validation.max_quarantine_share``. A Spark DataFrame
    (``--env spark``) is validated by the same rules on Spark.
    """
    validation = ValidationParams.of(validation)
    bounds = validation_bounds(validation, run_date)
    if not isinstance(raw_candles, pd.DataFrame):
        from criptos.spark import engine as spark_engine  # noqa: PLC0415

        return spark_engine.validate_spark(
            raw_candles, validation.max_quarantine_share, bounds
        )
    result = validate_candles(
        raw_candles,
        max_quarantine_share=validation.max_quarantine_share,
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


def _feature_settings(
    feature_params: FeatureEngineeringParams,
) -> tuple[str, str, FeatureParams]:
    """(mode, ingest, feature parameters) of ``params:feature_engineering``."""
    settings = FeatureEngineeringParams.of(feature_params)
    return settings.mode, settings.ingest, settings.features


def update_candle_history(
    candles: pd.DataFrame,
    stored_history: TableLocation,
    feature_params: FeatureEngineeringParams,
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
        from criptos.spark.history import (  # noqa: PLC0415
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
    previous_features: TableLocation, params: FeatureParams, history: CandleHistory
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
    previous_features: TableLocation | None,
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
    feature_params: FeatureEngineeringParams,
    previous_features: TableLocation | None = None,
) -> FeatureTable | IncrementalFeatureTable:
    """The feature table of the candle history (see ``criptos.features``), computed lazily.

    ``feature_params["mode"]``: ``incremental`` (default) continues the previous
    ``cripto_features_latest`` with this run's candles when that equals a full
    recompute of the history (see ``_incremental_state``), and recomputes from the
    history otherwise; ``full`` always recomputes. The table is computed batch by
    batch while it is written (an incremental table computes its new rows here, for
    the run's one-line summary, logged here).
    """
    mode, _, params = _feature_settings(feature_params)
    if not isinstance(history, CandleHistory):
        from criptos.spark import engine as spark_engine  # noqa: PLC0415

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
            table = IncrementalFeatureTable(
                history.new_candles, previous, params, source=history.generation
            )
            _log_summary(history, table)
            return table
    logger.info("Full feature recompute for %d candles", history.num_rows)
    table = FeatureTable(history.candles(), params, source=history.generation)
    _log_summary(history, table)
    return table


def _log_summary(
    history: CandleHistory, features: FeatureTable | IncrementalFeatureTable
) -> None:
    """The run's one-line summary: the history's change, the quarantine, the mode."""
    quarantined = {
        rule: count
        for rule, count in history.validation.get("quarantined_by_rule", {}).items()
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
        features.rows_computed,
        "incremental" if isinstance(features, IncrementalFeatureTable) else "full",
    )


def publish_latest_features(
    dated_features: TableLocation | Any,
    history: CandleHistory | Any,
    validation_report: dict[str, Any],
) -> TableLocation | Any:
    """The dated features, handed on as the new ``cripto_features_latest``.

    On the local engine ``cripto_features_dated`` loads as the ``TableLocation`` of
    the table just written, and saving a location to the latest dataset publishes that
    table there (``criptos.feature_store.FeatureTableStore.publish``: hard links,
    swapped in atomically, so latest is the dated table byte for byte): the one place
    that makes latest from dated. On Spark the dated folder is read back lazily and
    written again. Being a separate node makes the order explicit: latest is replaced
    only once the dated table is complete. ``history`` and ``validation_report`` are
    not needed (``build_features`` logs the run's summary).
    """
    return dated_features
