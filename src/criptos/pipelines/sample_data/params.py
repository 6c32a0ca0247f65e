"""Typed ``sample_data`` parameters (``conf/base/parameters_sample_data.yml``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, Strict

from criptos.config.schema import ParamsModel, parse_params

Positive = Annotated[float, Strict(), Field(gt=0)]


class SyntheticAsset(ParamsModel):
    """One synthetic asset: first price, daily volatility and drift, traded value."""

    start_price: Positive
    daily_volatility: Positive
    daily_value_traded: Positive
    daily_drift: Annotated[float, Strict()] = 0.0


def _some_assets(assets: dict[str, SyntheticAsset]) -> dict[str, SyntheticAsset]:
    if not assets:
        raise ValueError("must define at least one asset")
    return assets


class SampleDataParams(ParamsModel):
    """What ``kedro run --pipelines sample_data`` writes to a fresh project's raw.csv."""

    source: Literal["real", "synthetic"] = "real"
    seed: Annotated[int, Strict(), Field(ge=0)] = 20240101
    start_date: dt.date = dt.date(2021, 1, 1)
    days: Annotated[int, Strict(), Field(ge=1)] = 1096
    assets: Annotated[dict[str, SyntheticAsset], AfterValidator(_some_assets)] = {
        "BTC": SyntheticAsset(
            start_price=29000.0, daily_volatility=0.035, daily_value_traded=3.0e10
        )
    }

    @classmethod
    def of(cls, raw: Any) -> SampleDataParams:
        """``raw`` as parsed by the run's start (returned as is) or a mapping to parse."""
        return parse_params(cls, raw, "sample_data")
