"""The day's candle: where the close sits in the range, shadows, body and direction."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from criptos.features.families.inputs import CandleArrays, divide, text_labels
from criptos.features.params import FeatureParams

_DIRECTION_LABELS = pa.array(["bear", "bull", "doji"], pa.large_string())


def candle_shape(candles: CandleArrays, params: FeatureParams) -> dict[str, np.ndarray]:
    """``pos_no_range`` (0 at the low, 1 at the high), ``shadow_superior``,
    ``shadow_inferior`` and ``candle_corpo`` (|close - open|)."""
    opened, high, low, close = candles.prices
    return {
        "pos_no_range": divide(close - low, high - low),
        "shadow_superior": high - np.maximum(opened, close),
        "shadow_inferior": np.minimum(opened, close) - low,
        "candle_corpo": np.abs(close - opened),
    }


def candle_direction(candles: CandleArrays, params: FeatureParams) -> dict[str, object]:
    """``candle_direcao``: ``doji`` when the body is at most ``doji_body_share`` of the
    range, else ``bull`` (close above open) or ``bear``."""
    opened, high, low, close = candles.prices
    body = close - opened
    is_doji = np.abs(body) <= params.doji_body_share * (high - low)
    direction = np.where(is_doji, 2, (body > 0).astype(np.int8))
    return {"candle_direcao": text_labels(direction, _DIRECTION_LABELS)}
