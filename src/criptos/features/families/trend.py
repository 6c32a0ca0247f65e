"""Trend: the running maximum close and the drawdown from it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from criptos.features.families.inputs import CandleArrays, divide
from criptos.features.params import FeatureParams


def trend(candles: CandleArrays, params: FeatureParams) -> dict[str, np.ndarray]:
    """``max_acum`` (highest close so far, history included) and ``drawdown``
    (close / max_acum - 1)."""
    close = candles.close
    _, prior_max = candles.anchors
    running_max = np.maximum(
        pd.Series(close)
        .groupby(candles.first_row, sort=False)
        .cummax()
        .to_numpy(dtype=np.float64),
        prior_max,
    )
    return {"max_acum": running_max, "drawdown": divide(close, running_max) - 1.0}
