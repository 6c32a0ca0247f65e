"""The feature families compose the feature table: each column once, in a fixed order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from criptos.features import FeatureParams, compute_features
from criptos.features.definitions import INPUT_COLUMNS, family_inputs
from criptos.features.families import CATEGORY_FAMILIES, NUMERIC_FAMILIES
from tests.pipelines.training.synthetic import ar1_returns, candles_from_returns

# The feature table's columns with the default parameters, in order: written to
# every Parquet file and checked against the model bundle's schema by the API.
DEFAULT_COLUMNS = [
    *INPUT_COLUMNS,
    "fech_prev",
    "abert_prev",
    "vol_prev",
    "retorno_diario",
    "retorno_log",
    "retorno_log_3",
    "retorno_log_7",
    "retorno_log_14",
    "retorno_log_30",
    "retorno_acumulado",
    *(
        f"{name}_{window}"
        for window in (5, 20, 50)
        for name in ("valor_mm", "abertura_mm", "volume_mm", "fech_rel_mm")
    ),
    "volatilidade_5",
    "volatilidade_10",
    "volatilidade_20",
    "volatilidade_60",
    "mediana_20",
    "mad_20",
    "iqr_20",
    "z_robusto_20",
    "parkinson_10",
    "atr_14",
    "rsi_14",
    "estocastico_14",
    "pos_no_range",
    "shadow_superior",
    "shadow_inferior",
    "candle_corpo",
    "vol_pct_change",
    "volume_z_rob_20",
    "preco_medio_volume",
    "max_acum",
    "drawdown",
    "candle_direcao",
    "dia_semana",
    "mes",
    "fechamento_categoria",
    "volume_categoria",
]


@pytest.fixture(scope="module")
def candles() -> pd.DataFrame:
    shuffled = candles_from_returns(ar1_returns(120, 3, seed=3), seed=3)
    return shuffled.sample(frac=1.0, random_state=4).reset_index(drop=True)


def family_outputs(candles: pd.DataFrame, params: FeatureParams):
    arrays = family_inputs(candles)
    numeric = [family(arrays, params) for family in NUMERIC_FAMILIES]
    categories = [family(arrays, params) for family in CATEGORY_FAMILIES]
    return len(arrays.frame), numeric, categories


def test_default_columns_in_their_fixed_order(candles):
    assert list(compute_features(candles, FeatureParams()).columns) == DEFAULT_COLUMNS


@pytest.mark.parametrize(
    "params",
    [
        FeatureParams(),
        FeatureParams(
            moving_average_windows=(3, 9),
            volatility_windows=(4,),
            log_return_horizons=(2, 5),
            robust_window=7,
        ),
    ],
)
def test_the_families_give_every_column_once_in_table_order(candles, params):
    rows, numeric, categories = family_outputs(candles, params)
    produced = [name for columns in (*numeric, *categories) for name in columns]
    assert len(produced) == len(set(produced))
    assert [*INPUT_COLUMNS, *produced] == list(
        compute_features(candles, params).columns
    )
    for columns in numeric:
        for name, values in columns.items():
            assert values.dtype == np.float64 and values.shape == (rows,), name
    for columns in categories:
        for name, values in columns.items():
            assert len(values) == rows and values.dtype != np.float64, name
