"""The feature families: one module per kind of feature, each a function
``family(candles: CandleArrays, params: FeatureParams) -> {column: values}``.

``criptos.features.definitions.compute_features`` calls ``NUMERIC_FAMILIES`` in
order (their float64 columns, with inf turned into NaN), then
``CATEGORY_FAMILIES`` (text and calendar columns); the order of the tuples is the
order of the feature table's columns. Modules: ``inputs`` (the sorted candles as
arrays and the shared helpers), ``returns``, ``averages``, ``volatility``,
``robust``, ``oscillators``, ``candles``, ``volume``, ``trend``, ``categories``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from criptos.features.families import (
    averages,
    candles,
    categories,
    oscillators,
    returns,
    robust,
    trend,
    volatility,
    volume,
)
from criptos.features.families.inputs import CandleArrays
from criptos.features.params import FeatureParams

Family = Callable[[CandleArrays, FeatureParams], dict[str, Any]]

NUMERIC_FAMILIES: tuple[Family, ...] = (
    returns.lags_and_returns,
    averages.moving_averages,
    volatility.return_volatility,
    robust.robust_statistics,
    volatility.range_volatility,
    oscillators.oscillators,
    candles.candle_shape,
    volume.volume_features,
    trend.trend,
)
CATEGORY_FAMILIES: tuple[Family, ...] = (
    candles.candle_direction,
    categories.calendar,
    categories.day_over_day,
)

__all__ = ["CATEGORY_FAMILIES", "NUMERIC_FAMILIES", "CandleArrays", "Family"]
