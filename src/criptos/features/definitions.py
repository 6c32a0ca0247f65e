"""The feature definitions: one function from clean candles to the feature table.

``compute_features`` is the only place where features are defined. The local
pipeline calls it on all assets at once; the Spark environment calls it per asset
group. Every value of a row uses that row and earlier rows of the same asset only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from criptos.contracts import text_columns
from criptos.contracts.raw_file import PRICE_COLUMNS, VOLUME_COLUMNS
from criptos.features import windows
from criptos.features.history import AssetHistory
from criptos.features.params import FeatureParams

# Median/MAD to standard-deviation factor of the robust z-score (normal data).
MAD_TO_SIGMA = 1.4826
PARKINSON_FACTOR = 1.0 / (4.0 * np.log(2.0))
KEY_COLUMNS = ("ativo", "data")
INPUT_COLUMNS = (*KEY_COLUMNS, *PRICE_COLUMNS, *VOLUME_COLUMNS)
VOLUME = "volumeto"


def _divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Element-wise ratio where a zero or missing denominator gives NaN, never inf."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = numerator / denominator
    ratio[~np.isfinite(ratio)] = np.nan
    return ratio


_COMPARISON_LABELS = pa.array(["abaixo", "igual", "acima"], pa.large_string())
_DIRECTION_LABELS = pa.array(["bear", "bull", "doji"], pa.large_string())


def _labels(
    codes: np.ndarray, labels: pa.Array, missing: np.ndarray | None = None
) -> pd.api.extensions.ExtensionArray:
    """Text column from small integer codes (``missing`` rows become NA).

    Arrow's ``take`` builds the strings without one Python object per row.
    """
    return pd.array(labels.take(pa.array(codes, mask=missing)), dtype="str")


def _compare(current: np.ndarray, previous: np.ndarray):
    """'acima' / 'abaixo' / 'igual' against the previous value, missing on the first day."""
    codes = (
        (current > previous).astype(np.int8) - (current < previous).astype(np.int8) + 1
    )
    return _labels(codes, _COMPARISON_LABELS, np.isnan(previous) | np.isnan(current))


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


def _history_anchors(
    assets: pd.Series,
    close: np.ndarray,
    first_row: np.ndarray,
    history: AssetHistory | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the asset's first close ever and its highest close before these rows."""
    first_close = close[first_row]
    prior_max = np.full(len(close), -np.inf)
    if history is not None and len(history.first_close):
        known = assets.map(history.first_close).to_numpy(
            dtype=np.float64, na_value=np.nan
        )
        has_history = ~np.isnan(known)
        first_close = np.where(has_history, known, first_close)
        before = assets.map(history.max_close).to_numpy(
            dtype=np.float64, na_value=np.nan
        )
        prior_max = np.where(has_history, before, prior_max)
    return first_close, prior_max


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
    missing = [column for column in INPUT_COLUMNS if column not in candles.columns]
    if missing:
        raise ValueError(
            f"candles lack column(s) needed for features: {', '.join(missing)}"
        )
    frame = sort_candles(candles[list(INPUT_COLUMNS)])
    positions, first_row = _asset_positions(frame["ativo"])
    opened, high, low, close = (
        frame[column].to_numpy(dtype=np.float64) for column in PRICE_COLUMNS
    )
    volume = frame[VOLUME].to_numpy(dtype=np.float64)
    base_volume = frame["volumefrom"].to_numpy(dtype=np.float64)
    features: dict[str, np.ndarray] = {}

    close_prev = windows.shift(close, positions)
    volume_prev = windows.shift(volume, positions)
    features["fech_prev"] = close_prev
    features["abert_prev"] = windows.shift(opened, positions)
    features["vol_prev"] = volume_prev
    features["retorno_diario"] = _divide(close, close_prev) - 1.0
    log_return = np.log(_divide(close, close_prev))
    features["retorno_log"] = log_return
    for horizon in params.log_return_horizons:
        features[f"retorno_log_{horizon}"] = np.log(
            _divide(close, windows.shift(close, positions, horizon))
        )
    first_close, prior_max = _history_anchors(frame["ativo"], close, first_row, history)
    features["retorno_acumulado"] = _divide(close, first_close) - 1.0

    for window in params.moving_average_windows:
        features[f"valor_mm_{window}"] = windows.rolling_mean(close, positions, window)
        features[f"abertura_mm_{window}"] = windows.rolling_mean(
            opened, positions, window
        )
        features[f"volume_mm_{window}"] = windows.rolling_mean(
            volume, positions, window
        )
        features[f"fech_rel_mm_{window}"] = (
            _divide(close, features[f"valor_mm_{window}"]) - 1.0
        )
    for window in params.volatility_windows:
        features[f"volatilidade_{window}"] = windows.rolling_std(
            log_return, positions, window
        )

    robust = params.robust_window
    median, mad, iqr = windows.rolling_robust_stats(close, positions, robust)
    features[f"mediana_{robust}"] = median
    features[f"mad_{robust}"] = mad
    features[f"iqr_{robust}"] = iqr
    features[f"z_robusto_{robust}"] = _divide(close - median, MAD_TO_SIGMA * mad)

    log_range_sq = np.log(_divide(high, low)) ** 2
    features[f"parkinson_{params.parkinson_window}"] = np.sqrt(
        PARKINSON_FACTOR
        * windows.rolling_mean(log_range_sq, positions, params.parkinson_window)
    )
    true_range = np.fmax(
        high - low, np.fmax(np.abs(high - close_prev), np.abs(low - close_prev))
    )
    features[f"atr_{params.atr_window}"] = windows.rolling_mean(
        true_range, positions, params.atr_window
    )

    change = close - close_prev
    gains = windows.rolling_mean(np.maximum(change, 0.0), positions, params.rsi_window)
    losses = windows.rolling_mean(
        np.maximum(-change, 0.0), positions, params.rsi_window
    )
    features[f"rsi_{params.rsi_window}"] = 100.0 * _divide(gains, gains + losses)
    lowest = windows.rolling_min(low, positions, params.stochastic_window)
    highest = windows.rolling_max(high, positions, params.stochastic_window)
    features[f"estocastico_{params.stochastic_window}"] = 100.0 * _divide(
        close - lowest, highest - lowest
    )

    day_range = high - low
    body = close - opened
    features["pos_no_range"] = _divide(close - low, day_range)
    features["shadow_superior"] = high - np.maximum(opened, close)
    features["shadow_inferior"] = np.minimum(opened, close) - low
    features["candle_corpo"] = np.abs(body)
    is_doji = np.abs(body) <= params.doji_body_share * day_range
    direction = np.where(is_doji, 2, (body > 0).astype(np.int8))

    features["vol_pct_change"] = _divide(volume, volume_prev) - 1.0
    volume_median, volume_mad, _ = windows.rolling_robust_stats(
        volume, positions, robust
    )
    features[f"volume_z_rob_{robust}"] = _divide(
        volume - volume_median, MAD_TO_SIGMA * volume_mad
    )
    features["preco_medio_volume"] = _divide(volume, base_volume)

    running_max = np.maximum(
        pd.Series(close)
        .groupby(first_row, sort=False)
        .cummax()
        .to_numpy(dtype=np.float64),
        prior_max,
    )
    features["max_acum"] = running_max
    features["drawdown"] = _divide(close, running_max) - 1.0

    for values in features.values():
        values[np.isinf(values)] = np.nan
    columns: dict[str, object] = {name: frame[name] for name in frame.columns}
    columns.update(features)
    columns["candle_direcao"] = _labels(direction, _DIRECTION_LABELS)
    columns["dia_semana"] = frame["data"].dt.day_of_week.astype("int8")
    columns["mes"] = frame["data"].dt.month.astype("int8")
    columns["fechamento_categoria"] = _compare(close, close_prev)
    columns["volume_categoria"] = _compare(volume, volume_prev)
    # copy=False keeps one block per column: no consolidation copy of the whole table.
    return pd.DataFrame(columns, copy=False)
