"""Window kernels against pandas' per-asset rolling windows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from criptos.features import FeatureParams, compute_features, windows
from criptos.features.definitions import _asset_positions
from criptos.validation import validate_candles


@pytest.fixture(scope="module")
def column() -> pd.DataFrame:
    """Three assets of different lengths (one shorter than most windows), with NaNs."""
    rng = np.random.default_rng(7)
    sizes = {"A": 60, "B": 4, "C": 45}
    frame = pd.DataFrame(
        {
            "ativo": np.repeat(list(sizes), list(sizes.values())),
            "x": rng.lognormal(0, 1, sum(sizes.values())),
        }
    )
    frame.loc[[10, 70], "x"] = np.nan
    return frame


def _reference(frame: pd.DataFrame, window: int, how: str) -> np.ndarray:
    rolling = frame.groupby("ativo", sort=False)["x"].rolling(
        window, min_periods=window
    )
    if how == "quantile25":
        result = rolling.quantile(0.25)
    elif how == "std":
        result = rolling.std(ddof=1)
    else:
        result = getattr(rolling, how)()
    return result.to_numpy()


@pytest.mark.parametrize("window", [2, 5, 20])
@pytest.mark.parametrize(
    ("kernel", "how"),
    [
        (windows.rolling_mean, "mean"),
        (windows.rolling_sum, "sum"),
        (windows.rolling_std, "std"),
        (windows.rolling_max, "max"),
        (windows.rolling_min, "min"),
    ],
)
def test_kernels_match_pandas_per_asset(
    column: pd.DataFrame, window: int, kernel, how: str
):
    positions, _ = _asset_positions(column["ativo"])
    result = kernel(column["x"].to_numpy(), positions, window)
    np.testing.assert_allclose(
        result, _reference(column, window, how), rtol=1e-12, equal_nan=True
    )


@pytest.mark.parametrize("window", [2, 5, 20])
def test_robust_stats_match_pandas(column: pd.DataFrame, window: int):
    positions, _ = _asset_positions(column["ativo"])
    median, mad, iqr = windows.rolling_robust_stats(
        column["x"].to_numpy(), positions, window
    )
    grouped = column.groupby("ativo", sort=False)["x"]
    expected_median = _reference(column, window, "median")
    expected_iqr = grouped.rolling(window, min_periods=window).quantile(
        0.75
    ).to_numpy() - _reference(column, window, "quantile25")
    expected_mad = (
        grouped.rolling(window, min_periods=window)
        .apply(lambda w: np.median(np.abs(w - np.median(w))), raw=True)
        .to_numpy()
    )
    np.testing.assert_allclose(median, expected_median, rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(iqr, expected_iqr, rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(mad, expected_mad, rtol=1e-12, equal_nan=True)


def test_shift_stays_inside_each_asset(column: pd.DataFrame):
    positions, _ = _asset_positions(column["ativo"])
    shifted = windows.shift(column["x"].to_numpy(), positions, 3)
    expected = column.groupby("ativo", sort=False)["x"].shift(3).to_numpy()
    np.testing.assert_array_equal(shifted, expected)


def test_window_values_do_not_depend_on_neighbouring_assets(column: pd.DataFrame):
    positions, _ = _asset_positions(column["ativo"])
    together = windows.rolling_std(column["x"].to_numpy(), positions, 5)
    alone = column[column["ativo"] == "C"]["x"].to_numpy()
    separate = windows.rolling_std(alone, np.arange(len(alone)), 5)
    np.testing.assert_array_equal(together[-len(alone) :], separate)


@pytest.mark.parametrize("window", [0, -2, 2.5])
def test_invalid_window_is_refused(window):
    with pytest.raises(ValueError, match="window"):
        windows.rolling_mean(np.arange(5.0), np.arange(5), window)


@pytest.mark.parametrize(
    "params",
    [
        FeatureParams(),
        FeatureParams(
            moving_average_windows=(3, 90),
            volatility_windows=(4,),
            log_return_horizons=(2,),
            robust_window=5,
        ),
    ],
    ids=["default", "long_average"],
)
def test_warmup_rows_is_where_every_feature_is_first_defined(
    real_raw_frame: pd.DataFrame, params: FeatureParams
) -> None:
    """On the real candles of assets whose volumes are never zero, the first row with
    every numeric feature defined is row ``warmup_rows`` (counting from 1)."""
    candles = validate_candles(real_raw_frame, max_quarantine_share=0.05).candles
    features = compute_features(candles, params)
    numeric = features.select_dtypes("number").columns
    for asset in ("BNB", "ETH", "XLM"):
        complete = features.loc[features["ativo"] == asset, numeric].notna().all(axis=1)
        assert int(np.argmax(complete.to_numpy())) + 1 == params.warmup_rows, asset
