"""Typed feature parameters (``conf/base/parameters_feature_engineering.yml``).

``FeatureParams`` holds what defines the features (windows and shares; it is recorded
in every feature table); ``FeatureEngineeringParams`` is the whole
``feature_engineering`` section: those plus how a run updates the history and the
table (``ingest``, ``mode``). Both are pydantic dataclasses, so ``dataclasses.asdict``
and ``fields`` work on them.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, Strict
from pydantic.dataclasses import dataclass

from criptos.config.schema import parse_params

_CONFIG = ConfigDict(extra="forbid")


def _listed(value: Any) -> Any:
    """A single window counts as a list of one."""
    return value if isinstance(value, list | tuple) else [value]


def _sorted_unique(windows: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(sorted(set(windows)))


def _windows(minimum: int) -> Any:
    window = Annotated[int, Strict(), Field(ge=minimum)]
    return Annotated[
        tuple[window, ...],
        BeforeValidator(_listed),
        Field(min_length=1),
        AfterValidator(_sorted_unique),
    ]


def _window(minimum: int) -> Any:
    return Annotated[int, Strict(), Field(ge=minimum)]


@dataclass(frozen=True, config=_CONFIG)
class FeatureParams:
    """Windows (in rows, i.e. trading days of one asset) and horizons of the features."""

    moving_average_windows: _windows(1) = (5, 20, 50)
    volatility_windows: _windows(2) = (5, 10, 20, 60)
    log_return_horizons: _windows(1) = (3, 7, 14, 30)
    robust_window: _window(2) = 20
    parkinson_window: _window(1) = 10
    atr_window: _window(1) = 14
    rsi_window: _window(1) = 14
    stochastic_window: _window(1) = 14
    doji_body_share: Annotated[float, Field(ge=0, lt=1)] = 0.1

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

    @property
    def warmup_rows(self) -> int:
        """Rows of an asset, its current one included, before every feature of that row
        can be defined: an asset with fewer has gaps a model would fill with medians."""
        return max(
            *self.moving_average_windows,
            *(window + 1 for window in self.volatility_windows),  # windows of returns
            *(horizon + 1 for horizon in self.log_return_horizons),
            self.robust_window,
            self.parkinson_window,
            self.atr_window + 1,
            self.rsi_window + 1,
            self.stochastic_window,
        )


@dataclass(frozen=True, config=_CONFIG)
class FeatureEngineeringParams(FeatureParams):
    """The ``feature_engineering`` section: the feature windows, ``ingest`` (how raw.csv
    changes the candle history) and ``mode`` (incremental or full recompute)."""

    ingest: Literal["snapshot", "append"] = "snapshot"
    mode: Literal["incremental", "full"] = "incremental"

    @property
    def features(self) -> FeatureParams:
        """The parameters that define the features (what a feature table records)."""
        return FeatureParams(
            **{item.name: getattr(self, item.name) for item in fields(FeatureParams)}
        )

    @classmethod
    def of(cls, raw: Any) -> FeatureEngineeringParams:
        """``raw`` as parsed by the run's start (returned as is) or a mapping to parse."""
        return parse_params(cls, raw, "feature_engineering")
