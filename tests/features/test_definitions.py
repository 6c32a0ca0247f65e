"""Feature definitions: hand-computed values, no look-ahead, order independence."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from criptos.features import FeatureParams, compute_features

SMALL = FeatureParams(
    moving_average_windows=(2,),
    volatility_windows=(2,),
    log_return_horizons=(2,),
    robust_window=5,
    parkinson_window=2,
    atr_window=3,
    rsi_window=2,
    stochastic_window=2,
)


def candles(
    asset: str, closes, *, highs=None, lows=None, opens=None, volumes=None
) -> pd.DataFrame:
    """One asset's clean candles; highs/lows default to enclose open and close."""
    closes = np.asarray(closes, dtype=float)
    opens = np.asarray(opens if opens is not None else closes, dtype=float)
    highs = np.asarray(
        highs if highs is not None else np.maximum(opens, closes), dtype=float
    )
    lows = np.asarray(
        lows if lows is not None else np.minimum(opens, closes), dtype=float
    )
    volumes = np.asarray(
        volumes if volumes is not None else np.full(len(closes), 100.0)
    )
    return pd.DataFrame(
        {
            "ativo": asset,
            "data": pd.date_range("2021-01-01", periods=len(closes), freq="D"),
            "abertura": opens,
            "maximo": highs,
            "minimo": lows,
            "fechamento": closes,
            "volumefrom": volumes / closes,
            "volumeto": volumes,
        }
    )


def test_atr_by_hand():
    frame = candles(
        "X", closes=[10, 11, 9, 12], highs=[11, 12, 10, 13], lows=[9, 10, 8, 11]
    )
    atr = compute_features(frame, SMALL)["atr_3"].to_numpy()
    # True ranges: 2 (first day: high-low), max(2,|12-10|,|10-10|)=2, max(2,|10-11|,|8-11|)=3,
    # max(2,|13-9|,|11-9|)=4.
    np.testing.assert_allclose(atr, [np.nan, np.nan, (2 + 2 + 3) / 3, (2 + 3 + 4) / 3])


def test_robust_zscore_by_hand():
    frame = candles("X", closes=[1, 2, 3, 4, 100])
    row = compute_features(frame, SMALL).iloc[-1]
    assert row["mediana_5"] == 3
    assert row["mad_5"] == 1  # |dev| = 2, 1, 0, 1, 97
    assert row["iqr_5"] == 2  # q75=4, q25=2
    assert row["z_robusto_5"] == pytest.approx((100 - 3) / 1.4826)


def test_parkinson_by_hand():
    frame = candles("X", closes=[10, 10, 10], highs=[11, 12, 10.5], lows=[9, 10, 10])
    value = compute_features(frame, SMALL)["parkinson_2"].iloc[-1]
    expected = math.sqrt(
        (math.log(12 / 10) ** 2 + math.log(10.5 / 10) ** 2) / 2 / (4 * math.log(2))
    )
    assert value == pytest.approx(expected, rel=1e-12)


def test_drawdown_and_cumulative_return_by_hand():
    features = compute_features(candles("X", closes=[10, 12, 9, 15]), SMALL)
    assert features["max_acum"].tolist() == [10, 12, 12, 15]
    np.testing.assert_allclose(features["drawdown"], [0, 0, -0.25, 0])
    np.testing.assert_allclose(features["retorno_acumulado"], [0, 0.2, -0.1, 0.5])


def test_returns_lags_and_categories_by_hand():
    features = compute_features(candles("X", closes=[10, 12, 12, 9]), SMALL)
    assert features["fech_prev"].tolist()[1:] == [10, 12, 12]
    assert np.isnan(features["fech_prev"].iloc[0])
    np.testing.assert_allclose(features["retorno_diario"].iloc[1:], [0.2, 0.0, -0.25])
    np.testing.assert_allclose(
        features["retorno_log"].iloc[1:], np.log([1.2, 1.0, 0.75])
    )
    np.testing.assert_allclose(features["retorno_log_2"].iloc[2:], np.log([1.2, 0.75]))
    assert features["fechamento_categoria"].tolist()[1:] == ["acima", "igual", "abaixo"]
    assert pd.isna(features["fechamento_categoria"].iloc[0])


def test_candle_shape_by_hand():
    frame = candles(
        "X",
        closes=[12, 10, 10.05],
        opens=[10, 12, 10],
        highs=[13, 12.5, 11],
        lows=[9, 9.5, 9],
    )
    features = compute_features(frame, SMALL)
    assert features["candle_direcao"].tolist() == ["bull", "bear", "doji"]
    assert features["shadow_superior"].tolist()[:2] == [1, 0.5]
    assert features["shadow_inferior"].tolist()[:2] == [1, 0.5]
    np.testing.assert_allclose(features["candle_corpo"], [2, 2, 0.05])
    np.testing.assert_allclose(features["pos_no_range"], [0.75, 0.5 / 3, 0.525])


def test_zero_volume_gives_nan_never_inf():
    frame = candles("X", closes=[10, 11, 12, 13], volumes=[0, 0, 50, 0])
    features = compute_features(frame, SMALL)
    numeric = features.select_dtypes("number")
    assert not np.isinf(numeric.to_numpy()).any()
    assert np.isnan(features["preco_medio_volume"].iloc[0])
    assert np.isnan(features["vol_pct_change"].iloc[2])  # 50 / 0
    assert features["vol_pct_change"].iloc[3] == -1.0


def test_output_keeps_keys_and_raw_columns_and_holds_no_label():
    features = compute_features(
        candles("X", closes=np.arange(1.0, 30.0)), FeatureParams()
    )
    assert list(features.columns[:8]) == [
        "ativo", "data", "abertura", "maximo", "minimo", "fechamento", "volumefrom", "volumeto",
    ]  # fmt: skip
    assert not [
        c for c in features.columns if "alvo" in c or "target" in c or "label" in c
    ]
    for seed_name in (
        "fech_prev", "abert_prev", "vol_prev", "retorno_diario", "retorno_log",
        "retorno_acumulado", "valor_mm_5", "valor_mm_20", "abertura_mm_5", "abertura_mm_20",
        "volume_mm_5", "volume_mm_20", "volatilidade_5", "mediana_20", "mad_20", "iqr_20",
        "z_robusto_20", "parkinson_10", "atr_14", "pos_no_range", "shadow_superior",
        "shadow_inferior", "candle_corpo", "candle_direcao", "vol_pct_change",
        "volume_z_rob_20", "preco_medio_volume", "max_acum", "drawdown", "dia_semana", "mes",
        "fechamento_categoria", "volume_categoria",
    ):  # fmt: skip
        assert seed_name in features.columns, seed_name


def test_assets_do_not_leak_into_each_other():
    a = candles("A", closes=np.linspace(1, 50, 40))
    b = candles("B", closes=np.linspace(900, 20, 25))
    together = compute_features(pd.concat([b, a]), SMALL)
    alone = compute_features(b, SMALL)
    pd.testing.assert_frame_equal(
        together[together["ativo"] == "B"].reset_index(drop=True), alone
    )


def test_row_order_does_not_matter():
    frame = pd.concat(
        [candles("A", np.linspace(1, 50, 40)), candles("B", np.linspace(9, 2, 30))]
    )
    shuffled = frame.sample(frac=1.0, random_state=3)
    pd.testing.assert_frame_equal(
        compute_features(shuffled, SMALL), compute_features(frame, SMALL)
    )


def test_missing_input_column_is_named():
    with pytest.raises(ValueError, match="volumeto"):
        compute_features(candles("X", [1, 2]).drop(columns="volumeto"), SMALL)


@st.composite
def candle_histories(draw):
    """1-3 assets with random-walk closes and valid highs/lows, of random lengths."""
    frames = []
    for asset in ("A", "B", "C")[: draw(st.integers(1, 3))]:
        size = draw(st.integers(1, 90))
        steps = draw(
            st.lists(
                st.floats(-0.2, 0.2, allow_nan=False), min_size=size, max_size=size
            )
        )
        closes = 100 * np.exp(np.cumsum(steps))
        spread = draw(st.floats(0.0, 0.05))
        volumes = draw(
            st.lists(
                st.sampled_from([0.0, 1.0, 250.0, 1e6]), min_size=size, max_size=size
            )
        )
        frames.append(
            candles(
                asset,
                closes,
                highs=closes * (1 + spread),
                lows=closes * (1 - spread),
                volumes=volumes,
            )
        )
    cut = draw(st.integers(0, 90))
    return pd.concat(frames, ignore_index=True), pd.Timestamp(
        "2021-01-01"
    ) + pd.Timedelta(days=cut)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(candle_histories())
def test_features_of_a_day_ignore_every_later_day(history):
    """No look-ahead: cutting off later days leaves every earlier feature bit-identical."""
    frame, cut = history
    full = compute_features(frame, FeatureParams())
    truncated = compute_features(frame[frame["data"] <= cut], FeatureParams())
    expected = full[full["data"] <= cut].reset_index(drop=True)
    pd.testing.assert_frame_equal(truncated, expected, check_exact=True)
