"""What validation accepts besides its fixed rules: the ``validation`` parameters,
checked once (``InputError`` naming the parameter)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from criptos.config.run_date import resolve_run_date
from criptos.contracts import text_columns
from criptos.contracts.errors import InputError
from criptos.validation.params import (
    MAX_ABS_VALUE,
    MAX_ABS_VOLUME,
    MIN_DATE,
    ValidationParams,
)

DATE_FORMAT = text_columns.DATE_FORMAT
# Non-zero values smaller than max_abs_value / this are refused as well: any ratio
# of two accepted values (returns, value per unit), even squared, is then finite.
RATIO_HEADROOM = math.sqrt(np.finfo(np.float64).max)


@dataclass(frozen=True)
class Bounds:
    """What validation accepts besides the fixed rules (the ``validation`` parameters).

    ``min_date`` and ``max_date`` (inclusive, ``datetime64[D]``) bound the candle
    days; ``max_abs_value`` bounds every price, ``max_abs_volume`` every volume; an
    unterminated last line is kept only with ``accept_unterminated_last_line``.
    """

    min_date: np.datetime64
    max_date: np.datetime64
    max_abs_value: float = MAX_ABS_VALUE
    accept_unterminated_last_line: bool = False
    max_abs_volume: float = MAX_ABS_VOLUME

    @classmethod
    def of(
        cls,
        min_date: object = MIN_DATE,
        max_date: object = None,
        max_abs_value: object = MAX_ABS_VALUE,
        accept_unterminated_last_line: object = False,
        max_abs_volume: object = MAX_ABS_VOLUME,
    ) -> Bounds:
        """Checked bounds (``InputError`` naming the parameter, by the rules of
        ``ValidationParams``); ``max_date`` None is tomorrow (UTC)."""
        params = ValidationParams.of(
            {
                "min_date": min_date,
                "max_abs_value": max_abs_value,
                "max_abs_volume": max_abs_volume,
                "accept_unterminated_last_line": accept_unterminated_last_line,
            }
        )
        low = np.datetime64(params.min_date, "D")
        if max_date is None:
            max_date = datetime.now(UTC).date() + timedelta(days=1)
        high = _day("maximum date (run_date + 1 day)", max_date)
        if high < low:
            raise InputError(
                f"validation.min_date ({low}) is after the last accepted day ({high}, "
                "run_date + 1 day): no candle could pass"
            )
        return cls(
            low,
            high,
            params.max_abs_value,
            params.accept_unterminated_last_line,
            params.max_abs_volume,
        )

    @property
    def min_abs_value(self) -> float:
        """Non-zero magnitudes below this are refused (see ``RATIO_HEADROOM``)."""
        return max(self.max_abs_value, self.max_abs_volume) / RATIO_HEADROOM

    def describe(self) -> dict[str, Any]:
        return {
            "min_date": str(self.min_date),
            "max_date": str(self.max_date),
            "max_abs_value": self.max_abs_value,
            "max_abs_volume": self.max_abs_volume,
            "accept_unterminated_last_line": self.accept_unterminated_last_line,
        }


def _day(name: str, value: object) -> np.datetime64:
    """A date parameter (``YYYY-MM-DD`` text, a date or a timestamp) as a day."""
    if isinstance(value, datetime | pd.Timestamp):
        value = value.date()
    if isinstance(value, date):
        return np.datetime64(value, "D")
    try:
        return np.datetime64(datetime.strptime(str(value).strip(), DATE_FORMAT), "D")
    except ValueError:
        raise InputError(
            f"{name} must be a date written YYYY-MM-DD, got {value!r}"
        ) from None


def validation_bounds(validation: Any, run_date: object = None) -> Bounds:
    """``Bounds`` of the ``validation`` parameters (``ValidationParams`` or a mapping)
    and the run date (``YYYYMMDD``; None is today): days from ``validation.min_date``
    to ``run_date`` + 1 day."""
    params = ValidationParams.of(validation)
    try:
        day = datetime.strptime(resolve_run_date(run_date), "%Y%m%d").date()
    except ValueError as error:
        raise InputError(str(error)) from None
    return Bounds.of(
        min_date=params.min_date,
        max_date=day + timedelta(days=1),
        max_abs_value=params.max_abs_value,
        accept_unterminated_last_line=params.accept_unterminated_last_line,
        max_abs_volume=params.max_abs_volume,
    )
