"""Scale-free model inputs: a redenominated coin looks the same to every model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from criptos.features import FeatureParams, compute_features, units
from criptos.modeling.columns import select_feature_columns
from criptos.modeling.estimators import build_model
from criptos.modeling.labels import RETURN_TARGET, add_labels
from criptos.modeling.params import TrainingParams
from criptos.modeling.scale_free import ScaleFreeInputs, scale_free_names
from tests.pipelines.training.synthetic import (
    ar1_returns,
    candles_from_returns,
    fast_training_params,
)

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
    # Monotone twins of other inputs are left out; their twins stay.
    assert "valor_mm_20_rel" not in out and "fech_rel_mm_20" in out
    assert "retorno_diario" not in out and "fechamento_categoria" not in out
    np.testing.assert_allclose(
        out["maximo_rel"], np.log(features["maximo"] / features["fechamento"])
    )
    np.testing.assert_allclose(
        out["atr_14_rel"], features["atr_14"] / features["fechamento"]
    )
    assert tuple(out.columns) == scale_free_names(tuple(features.columns))
    pd.testing.assert_series_equal(out["rsi_14"], features["rsi_14"])


def test_a_redundant_column_stays_when_its_twin_is_not_an_input(candles):
    features = compute_features(candles, FeatureParams()).drop(
        columns=["data", "fech_rel_mm_20"]
    )
    out = ScaleFreeInputs().fit_transform(features)
    np.testing.assert_allclose(
        out["valor_mm_20_rel"], np.log(features["valor_mm_20"] / features["fechamento"])
    )


def test_a_power_of_two_redenomination_leaves_every_input_bit_identical(candles):
    """Scaling by 1,024 is exact in binary floating point: nothing may differ at all."""
    original = compute_features(candles, FeatureParams())
    scaled = compute_features(redenominated(candles, "A02", 1024.0), FeatureParams())
    inputs = ScaleFreeInputs().fit(original.drop(columns="data"))
    pd.testing.assert_frame_equal(
        inputs.transform(original), inputs.transform(scaled), check_exact=True
    )


def test_a_level_without_its_reference_is_refused_by_name(candles):
    features = compute_features(candles, FeatureParams()).drop(
        columns=["data", "fechamento"]
    )
    with pytest.raises(ValueError, match="need the column 'fechamento'"):
        ScaleFreeInputs().fit(features)


@pytest.mark.parametrize("name", ["regressor_lin", "regressor_rf"])
def test_a_model_ignores_a_redenomination_only_with_scale_free_inputs(candles, name):
    """The property the end-to-end test checks can fail: raw levels break it."""
    original = add_labels(compute_features(candles, FeatureParams()), 1)
    scaled = add_labels(
        compute_features(redenominated(candles, "A01", 1024.0), FeatureParams()), 1
    )
    params = TrainingParams.from_dict(fast_training_params())
    columns = select_feature_columns(original, params.excluded_columns)

    def forecasts(table, scale_free):
        model = build_model(params.model(name), columns, 7, scale_free)
        model.fit(table[list(columns.names)], table[RETURN_TARGET])
        return model.predict(original[list(columns.names)])

    np.testing.assert_array_equal(forecasts(original, True), forecasts(scaled, True))
    assert not np.array_equal(forecasts(original, False), forecasts(scaled, False))
