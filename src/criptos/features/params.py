"""Checked feature parameters (``parameters_feature_engineering.yml``)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any


def _positive_ints(name: str, value: Any, minimum: int = 1) -> tuple[int, ...]:
    items = value if isinstance(value, list | tuple) else [value]
    if not items or not all(
        isinstance(item, int) and not isinstance(item, bool) and item >= minimum
        for item in items
    ):
        raise ValueError(
            f"feature_engineering.{name} must hold integers >= {minimum}, got {value!r}"
        )
    return tuple(sorted(set(items)))


@dataclass(frozen=True)
class FeatureParams:
    """Windows (in rows, i.e. trading days of one asset) and horizons of the features."""

    moving_average_windows: tuple[int, ...] = (5, 20, 50)
    volatility_windows: tuple[int, ...] = (5, 10, 20, 60)
    log_return_horizons: tuple[int, ...] = (3, 7, 14, 30)
    robust_window: int = 20
    parkinson_window: int = 10
    atr_window: int = 14
    rsi_window: int = 14
    stochastic_window: int = 14
    doji_body_share: float = 0.1

    @property
    def lookback_rows(self) -> int:
        """Earlier rows of an asset that any feature of a row can reach (its look-back)."""
        return 1 + max(
            *self.moving_average_windows,
            *(window + 1 for window in self.volatility_windows),  # windows of returns
            *self.log_return_horizons,
            self.robust_window,
            self.parkinson_window,
            self.atr_window + 1,  # true range uses the previous close
            self.rsi_window + 1,  # close-to-close changes
            self.stochastic_window,
        )

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None) -> FeatureParams:
        """Build from the parameters file, naming any unknown or invalid entry."""
        raw = dict(raw or {})
        known = {field.name for field in fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ValueError(
                f"unknown feature_engineering parameter(s): {', '.join(unknown)}; "
                f"known: {', '.join(sorted(known))}"
            )
        values: dict[str, Any] = {}
        for name in ("moving_average_windows", "log_return_horizons"):
            if name in raw:
                values[name] = _positive_ints(name, raw[name])
        if "volatility_windows" in raw:
            values["volatility_windows"] = _positive_ints(
                "volatility_windows", raw["volatility_windows"], minimum=2
            )
        for name in (
            "parkinson_window",
            "atr_window",
            "rsi_window",
            "stochastic_window",
        ):
            if name in raw:
                values[name] = _positive_ints(name, raw[name])[0]
        if "robust_window" in raw:
            values["robust_window"] = _positive_ints(
                "robust_window", raw["robust_window"], 2
            )[0]
        if "doji_body_share" in raw:
            share = raw["doji_body_share"]
            if (
                isinstance(share, bool)
                or not isinstance(share, int | float)
                or not 0 <= share < 1
            ):
                raise ValueError(
                    f"feature_engineering.doji_body_share must be a number in [0, 1), got {share!r}"
                )
            values["doji_body_share"] = float(share)
        return cls(**values)
