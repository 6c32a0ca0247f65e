"""Target weights from a model's daily forecasts: the strategies and their benchmark.

Every function takes the wide ``forecasts`` frame (index = decision date ``t``,
columns = asset codes, NaN = no forecast that day) and returns weights of the same
shape, 0 where there is no position. Weights are decided with day ``t``'s close;
when they are held is the executor's business (``criptos.backtest.execution``).

- ``long_flat``: long every asset whose forecast says "up" (regression: predicted
  log return > ``threshold``; classification: P(up) > 0.5 + ``threshold``), equal
  weights summing to 1 over the assets long that day, flat (all 0) if none is.
- ``long_short_topk``: with at least ``2k`` forecasts that day, +1/(2k) on each of
  the ``k`` highest forecasts and -1/(2k) on each of the ``k`` lowest (dollar-neutral,
  gross exposure 1); fewer forecasts, no position. Equal forecasts are ranked by asset
  code, the earlier code ranking higher, so column order never matters.
- ``buy_and_hold_weights``: equal weights summing to 1 over the assets with a
  forecast that day, the benchmark on the same universe and days.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Literal

import numpy as np
import pandas as pd

from criptos.modeling.params import CLASSIFICATION, REGRESSION

LONG_FLAT = "long_flat"
LONG_SHORT_TOPK = "long_short_topk"
STRATEGIES = (LONG_FLAT, LONG_SHORT_TOPK)
TASKS = (REGRESSION, CLASSIFICATION)
# P(up) above this says "up"; the classification threshold is a margin over it.
CLASSIFICATION_MIDPOINT = 0.5

Task = Literal["regression", "classification"]


def signal_weights(
    forecasts: pd.DataFrame,
    strategy: str,
    *,
    task: Task,
    threshold: float = 0.0,
    k: int = 2,
) -> pd.DataFrame:
    """Target weights per decision date of ``strategy`` (see the module docstring).

    ``threshold`` only moves ``long_flat``; ``k`` only sizes ``long_short_topk``,
    which needs ``2k`` assets in the frame.
    """
    if strategy not in STRATEGIES:
        raise ValueError(
            f"backtest.strategy must be one of {STRATEGIES}, got {strategy!r}"
        )
    if task not in TASKS:
        raise ValueError(f"backtest.task must be one of {TASKS}, got {task!r}")
    _check_threshold(threshold)
    _check_k(k)
    if strategy == LONG_FLAT:
        return long_flat_weights(forecasts, task=task, threshold=threshold)
    return long_short_topk_weights(forecasts, k=k)


def long_flat_weights(
    forecasts: pd.DataFrame, *, task: Task, threshold: float = 0.0
) -> pd.DataFrame:
    """Equal weights over the assets whose forecast clears the bar; NaN is never long."""
    bar = threshold + (CLASSIFICATION_MIDPOINT if task == CLASSIFICATION else 0.0)
    return _equal_weights(forecasts.to_numpy(np.float64) > bar, forecasts)


def long_short_topk_weights(forecasts: pd.DataFrame, *, k: int) -> pd.DataFrame:
    """+1/(2k) on the top ``k`` forecasts, -1/(2k) on the bottom ``k`` of each day."""
    assets = len(forecasts.columns)
    if 2 * k > assets:
        raise ValueError(
            f"backtest.k = {k} needs at least 2k = {2 * k} assets, "
            f"the forecasts have {assets}"
        )
    by_code = forecasts[sorted(forecasts.columns)]
    values = by_code.to_numpy(np.float64)
    ranks = _descending_ranks(values)
    available = (~np.isnan(values)).sum(axis=1, keepdims=True)
    traded = available >= 2 * k
    leg = 1.0 / (2 * k)
    long = traded & (ranks < k)
    short = traded & (ranks >= available - k) & (ranks < available)
    weights = np.where(long, leg, 0.0) - np.where(short, leg, 0.0)
    frame = pd.DataFrame(weights, index=forecasts.index, columns=by_code.columns)
    return frame[forecasts.columns]


def buy_and_hold_weights(forecasts: pd.DataFrame) -> pd.DataFrame:
    """Equal weights summing to 1 over the assets with a forecast that day."""
    return _equal_weights(forecasts.notna().to_numpy(), forecasts)


def _equal_weights(selected: np.ndarray, like: pd.DataFrame) -> pd.DataFrame:
    """1/count on each selected cell of a row, 0 elsewhere and on empty rows."""
    counts = selected.sum(axis=1, keepdims=True)
    weights = np.divide(
        selected.astype(np.float64),
        counts,
        out=np.zeros(selected.shape),
        where=counts > 0,
    )
    return pd.DataFrame(weights, index=like.index, columns=like.columns)


def _descending_ranks(values: np.ndarray) -> np.ndarray:
    """Per row, 0 for the highest value, then down; NaN (no forecast) ranks last.

    Columns must be in asset-code order: ``lexsort`` breaks ties by column position,
    so the earlier code ranks higher.
    """
    missing = np.isnan(values)
    descending = -np.where(missing, 0.0, values)
    position = np.broadcast_to(np.arange(values.shape[1]), values.shape)
    order = np.lexsort((position, descending, missing), axis=-1)
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.broadcast_to(position, order.shape), axis=-1)
    return ranks


def _check_threshold(threshold: object) -> None:
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, Real)
        or not math.isfinite(threshold)
    ):
        raise ValueError(
            f"backtest.threshold must be a finite number, got {threshold!r}"
        )


def _check_k(k: object) -> None:
    if not isinstance(k, Integral) or isinstance(k, bool) or k < 1:
        raise ValueError(f"backtest.k must be an integer >= 1, got {k!r}")
