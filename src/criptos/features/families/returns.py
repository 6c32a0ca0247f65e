"""Lags and returns: the previous day's values, log returns over horizons, and the
return since the asset's first close."""

from __future__ import annotations

import numpy as np

from criptos.features import windows
from criptos.features.families.inputs import CandleArrays, divide
from criptos.features.params import FeatureParams


def lags_and_returns(
    candles: CandleArrays, params: FeatureParams
) -> dict[str, np.ndarray]:
    """``fech_prev``, ``abert_prev``, ``vol_prev``, ``retorno_diario``, ``retorno_log``,
    ``retorno_log_<h>`` per horizon and ``retorno_acumulado``."""
    close, close_prev = candles.close, candles.close_prev
    columns = {
        "fech_prev": close_prev,
        "abert_prev": windows.shift(candles.opened, candles.positions),
        "vol_prev": candles.volume_prev,
        "retorno_diario": divide(close, close_prev) - 1.0,
        "retorno_log": candles.log_return,
    }
    for horizon in params.log_return_horizons:
        columns[f"retorno_log_{horizon}"] = np.log(
            divide(close, windows.shift(close, candles.positions, horizon))
        )
    first_close, _ = candles.anchors
    columns["retorno_acumulado"] = divide(close, first_close) - 1.0
    return columns
