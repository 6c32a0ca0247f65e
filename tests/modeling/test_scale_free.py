"""Scale-free model inputs: a redenominated coin looks the same to every model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from criptos.features import FeatureParams, compute_features, units
from criptos.modeling.scale_free import ScaleFreeInputs, scale_free_names
from tests.pipelines.training.synthetic import ar1_returns, candles_from_returns

PRICES = ["abertura", "maximo", "minimo", "fechamento"]


def redenominated(candles: pd.DataFrame, asset: str, factor: float) -> pd.DataFrame:
    """``asset``'s prices and traded value multiplied by ``factor``."""
    changed = candles.copy()
    rows = changed["ativo"] == asset
    changed.loc[rows, [*PRICES, "volumeto"]] *= factor
    return changed


@pytest.fixture(scope="module")
def candles() -> pd.DataFrame:
    return candles_from_returns(ar1_returns(200, 3, seed=5), seed=5)


def test_every_feature_column_has_exactly_one_unit(candles):
    groups = [
        units.PRICE_LEVELS,
        units.PRICE_SPANS,
        units.VOLUME_LEVELS,
        units.LEFT_OUT,
        units.SCALE_FREE,
    ]
    declared = [column for group in groups for column in group]
    assert len(declared) == len(set(declared))
    assert sorted(declared) == sorted(
        compute_features(candles, FeatureParams()).columns
    )


def test_a_redenomination_changes_raw_levels_but_no_model_input(candles):
    original = compute_features(candles, FeatureParams())
    scaled = compute_features(redenominated(candles, "A01", 1000.0), FeatureParams())
    inputs = ScaleFreeInputs().fit(original.drop(columns="data"))
    before, after = inputs.transform(original), inputs.transform(scaled)
    level_columns = [*units.PRICE_LEVELS, *units.VOLUME_LEVELS]
    assert not np.allclose(
        original[level_columns], scaled[level_columns], equal_nan=True
    )
    assert list(before.columns) == list(inputs.get_feature_names_out())
    numeric = before.select_dtypes("number").columns
    np.testing.assert_allclose(
        before[numeric].to_numpy(float),
        after[numeric].to_numpy(float),
        rtol=1e-9,
        atol=1e-12,
    )
    text = before.columns.difference(numeric)
    pd.testing.assert_frame_equal(before[text], after[text])


def test_levels_become_relative_and_references_are_dropped(candles):
    features = compute_features(candles, FeatureParams()).drop(columns="data")
    out = ScaleFreeInputs().fit_transform(features)
    assert "fechamento" not in out and "volume_mm_20" not in out
    assert "retorno_acumulado" not in out and "volumefrom" not in out
    np.testing.assert_allclose(
        out["maximo_rel"], np.log(features["maximo"] / features["fechamento"])
    )
    np.testing.assert_allclose(
        out["atr_14_rel"], features["atr_14"] / features["fechamento"]
    )
    assert tuple(out.columns) == scale_free_names(tuple(features.columns))
    pd.testing.assert_series_equal(out["rsi_14"], features["rsi_14"])


def test_a_level_without_its_reference_is_refused_by_name(candles):
    features = compute_features(candles, FeatureParams()).drop(
        columns=["data", "fechamento"]
    )
    with pytest.raises(ValueError, match="need the column 'fechamento'"):
        ScaleFreeInputs().fit(features)
