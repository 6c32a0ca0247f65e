"""The feature table: ``compute_features`` composes the feature families.

Each kind of feature is defined once, in its module of ``criptos.features.families``
(returns, averages, volatility, robust statistics, oscillators, candles, volume,
trend, categories); ``compute_features`` sorts the candles and joins the families'
columns in a fixed order. The local pipeline calls it on all assets at once; the
Spark environment calls it per asset group. Every value of a row uses that row and
earlier rows of the same asset only. The (ativo, data) row-order helpers the
incremental runs and the candle history share live here too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from criptos.contracts import text_columns
from criptos.contracts.raw_layout import PRICE_COLUMNS, VOLUME_COLUMNS
from criptos.features.families import (
    CATEGORY_FAMILIES,
    NUMERIC_FAMILIES,
    CandleArrays,
)
from criptos.features.history import AssetHistory
from criptos.features.params import FeatureParams

KEY_COLUMNS = ("ativo", "data")
INPUT_COLUMNS = (*KEY_COLUMNS, *PRICE_COLUMNS, *VOLUME_COLUMNS)


def _asset_positions(assets: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Index of each row inside its asset block, and the row index where the block starts."""
    size = len(assets)
    starts_mask = np.ones(size, dtype=bool)
    if size:
        codes = pd.factorize(assets, sort=False)[0]
        starts_mask[1:] = codes[1:] != codes[:-1]
    block_starts = np.flatnonzero(starts_mask)
    block_of_row = np.cumsum(starts_mask) - 1
    first_row = block_starts[block_of_row]
    return np.arange(size) - first_row, first_row


def _adjacent_assets(assets: pd.Series) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    """``ativo`` of rows ``0..n-2`` and of rows ``1..n-1`` as Arrow text (no Python strings)."""
    text = text_columns.as_arrow(assets)
    return text[:-1], text[1:]


def asset_changes(assets: pd.Series) -> np.ndarray:
    """Per pair of neighbouring rows, whether ``ativo`` changes (a missing one always does)."""
    previous, current = _adjacent_assets(assets)
    changed = pc.not_equal(previous, current).fill_null(True)
    return np.asarray(changed.to_numpy(zero_copy_only=False), dtype=bool)


def is_sorted(candles: pd.DataFrame) -> bool:
    """Whether rows are already in strictly increasing (ativo, data) order."""
    assets = candles["ativo"]
    if len(assets) < 2:
        return True
    if assets.isna().any():
        return False
    previous, current = _adjacent_assets(assets)
    if not pc.all(pc.less_equal(previous, current)).as_py():
        return False
    same_asset = ~asset_changes(assets)
    dates = candles["data"].to_numpy()
    return bool((dates[1:][same_asset] > dates[:-1][same_asset]).all())


def sort_candles(candles: pd.DataFrame) -> pd.DataFrame:
    """Candles in asset, then date order (the layout every kernel expects)."""
    if is_sorted(candles):
        return candles.reset_index(drop=True)
    return candles.sort_values(list(KEY_COLUMNS), kind="stable").reset_index(drop=True)


def family_inputs(
    candles: pd.DataFrame, history: AssetHistory | None = None
) -> CandleArrays:
    """What every feature family reads: ``candles`` (any row order) sorted by asset and
    date, as arrays (``criptos.features.families.inputs.CandleArrays``)."""
    missing = [column for column in INPUT_COLUMNS if column not in candles.columns]
    if missing:
        raise ValueError(
            f"candles lack column(s) needed for features: {', '.join(missing)}"
        )
    frame = sort_candles(candles[list(INPUT_COLUMNS)])
    positions, first_row = _asset_positions(frame["ativo"])
    return CandleArrays(frame, positions, first_row, history)


def compute_features(
    candles: pd.DataFrame, params: FeatureParams, history: AssetHistory | None = None
) -> pd.DataFrame:
    """All features for clean candles (any row order; one row per asset and date).

    Returns the input key, price and volume columns followed by the features, sorted
    by asset and date, with inf replaced by NaN. No label or target column.

    ``history`` continues assets whose earlier days are not in ``candles`` (daily
    incremental runs): the cumulative features (``retorno_acumulado``, ``max_acum``,
    ``drawdown``) start from it. Windowed features only see ``candles``, so the
    caller passes enough look-back rows (``FeatureParams.lookback_rows``).
    """
    arrays = family_inputs(candles, history)
    features: dict[str, np.ndarray] = {}
    for family in NUMERIC_FAMILIES:
        features.update(family(arrays, params))
    # In place: the category families then compare against the cleaned lags.
    for values in features.values():
        values[np.isinf(values)] = np.nan
    columns: dict[str, object] = {name: arrays.frame[name] for name in INPUT_COLUMNS}
    columns.update(features)
    for family in CATEGORY_FAMILIES:
        columns.update(family(arrays, params))
    # copy=False keeps one block per column: no consolidation copy of the whole table.
    return pd.DataFrame(columns, copy=False)
