"""Calendar and day-over-day categories: weekday, month, and whether the close and
the volume are above, below or equal to the previous day's."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from criptos.features.families.inputs import CandleArrays, text_labels
from criptos.features.params import FeatureParams

_COMPARISON_LABELS = pa.array(["abaixo", "igual", "acima"], pa.large_string())


def _compare(current: np.ndarray, previous: np.ndarray):
    """'acima' / 'abaixo' / 'igual' against the previous value, missing on the first day."""
    codes = (
        (current > previous).astype(np.int8) - (current < previous).astype(np.int8) + 1
    )
    return text_labels(
        codes, _COMPARISON_LABELS, np.isnan(previous) | np.isnan(current)
    )


def calendar(candles: CandleArrays, params: FeatureParams) -> dict[str, object]:
    """``dia_semana`` (0 = Monday) and ``mes`` (1-12), as int8."""
    dates = candles.frame["data"].dt
    return {
        "dia_semana": dates.day_of_week.astype("int8"),
        "mes": dates.month.astype("int8"),
    }


def day_over_day(candles: CandleArrays, params: FeatureParams) -> dict[str, object]:
    """``fechamento_categoria`` and ``volume_categoria`` against the previous day."""
    return {
        "fechamento_categoria": _compare(candles.close, candles.close_prev),
        "volume_categoria": _compare(candles.volume, candles.volume_prev),
    }
