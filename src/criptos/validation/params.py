"""Typed ``validation`` parameters (``conf/base/parameters_feature_engineering.yml``)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, Strict

from criptos.config.schema import ParamsModel, parse_params

# Defaults: 2009-01-03 is the first Bitcoin block, no crypto candle is older; prices
# above 1e12 are errors; volumes count units of tokens that may be worth a tiny
# fraction of a cent (a day of some real tokens trades trillions of units).
MIN_DATE = dt.date(2009, 1, 3)
MAX_ABS_VALUE = 1e12
MAX_ABS_VOLUME = 1e18


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


def _written_date(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise ValueError("must be a date written YYYY-MM-DD")
    try:
        return dt.datetime.strptime(value.strip(), "%Y-%m-%d").date()
    except ValueError:
        raise ValueError("must be a date written YYYY-MM-DD") from None


PositiveLimit = Annotated[float, Strict(), Field(gt=0), AfterValidator(_finite)]


class ValidationParams(ParamsModel):
    """What validation accepts besides its fixed rules (see ``criptos.validation``)."""

    max_quarantine_share: Annotated[float, Strict(), Field(ge=0, le=1)] = 0.05
    min_date: Annotated[dt.date, BeforeValidator(_written_date)] = MIN_DATE
    max_abs_value: PositiveLimit = MAX_ABS_VALUE
    max_abs_volume: PositiveLimit = MAX_ABS_VOLUME
    accept_unterminated_last_line: Annotated[bool, Strict()] = False

    @classmethod
    def of(cls, raw: Any) -> ValidationParams:
        """``raw`` as parsed by the run's start (returned as is) or a mapping to parse."""
        return parse_params(cls, raw, "validation")
