"""Typed ``backtest`` parameters (``conf/base/parameters_backtest.yml``)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, Strict

from criptos.config.schema import ParamsModel, parse_params


class BacktestParams(ParamsModel):
    """When a forecast is traded, what trading costs and when a forecast says "up"."""

    # Days between the close a forecast is made with and the close it is traded at.
    execution_lag_days: Annotated[int, Strict(), Field(ge=0)] = 1
    # Cost per unit of turnover, in basis points, on every position change.
    cost_bps: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 10.0
    # long_flat goes long above this (regressors: predicted log return; classifiers:
    # P(up) - 0.5).
    threshold: Annotated[float, Field(allow_inf_nan=False)] = 0.0
    # long_short_topk: long the k best and short the k worst forecasts of each day.
    k: Annotated[int, Strict(), Field(ge=1)] = 2

    @classmethod
    def of(cls, raw: Any) -> BacktestParams:
        """``raw`` as parsed by the run's start (returned as is) or a mapping to parse."""
        return parse_params(cls, raw, "backtest")
