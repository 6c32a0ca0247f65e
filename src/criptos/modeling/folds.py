"""The walk-forward plan: folds of retraining windows, then an untouched hold-out.

Dates, never rows, are split, so every asset of a date falls on the same side.

- The last ``holdout_days`` calendar days are the **hold-out**: no fit, no choice and
  no walk-forward score uses them (walk-forward rows whose label reaches into them are
  left out too). They are scored once, at the end, by models fitted on everything
  before them.
- The dates before are cut into ``n_splits`` test blocks (``TimeSeriesSplit``). Each
  block is forecast the way production does it: a model is refitted every
  ``retrain_every_days`` and forecasts the days until the next refit.
- Every fit trains on the dates before its first forecast day except the last
  ``gap`` ones, and only on rows whose label date is strictly before that day (with
  ``gap >= horizon`` both guards agree); with ``max_train_days`` the window slides,
  otherwise it expands from the first date.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import TimeSeriesSplit


def _day(value) -> str:
    return pd.Timestamp(value).strftime("%Y-%m-%d")


@dataclass(frozen=True)
class Window:
    """One fit: the rows it trains on and the rows it forecasts."""

    train_rows: np.ndarray
    test_rows: np.ndarray
    train_start: pd.Timestamp
    train_end: pd.Timestamp
    test_start: pd.Timestamp
    test_end: pd.Timestamp

    def describe(self) -> dict[str, object]:
        """JSON-ready date ranges and sizes."""
        return {
            "train_start": _day(self.train_start),
            "train_end": _day(self.train_end),
            "test_start": _day(self.test_start),
            "test_end": _day(self.test_end),
            "train_rows": int(len(self.train_rows)),
            "test_rows": int(len(self.test_rows)),
        }


@dataclass(frozen=True)
class Fold:
    """One walk-forward test block and the refits that forecast it."""

    number: int
    windows: tuple[Window, ...]

    @property
    def test_rows(self) -> np.ndarray:
        return np.concatenate([window.test_rows for window in self.windows])

    def describe(self) -> dict[str, object]:
        first, last = self.windows[0], self.windows[-1]
        return {
            "fold": self.number,
            "refits": len(self.windows),
            "train_start": _day(first.train_start),
            "first_train_end": _day(first.train_end),
            "last_train_end": _day(last.train_end),
            "first_train_rows": int(len(first.train_rows)),
            "last_train_rows": int(len(last.train_rows)),
            "test_start": _day(first.test_start),
            "test_end": _day(last.test_end),
            "test_rows": int(sum(len(window.test_rows) for window in self.windows)),
        }


@dataclass(frozen=True)
class WalkForwardPlan:
    """The walk-forward folds and the hold-out window (None when ``holdout_days`` is 0)."""

    folds: tuple[Fold, ...]
    holdout: Window | None

    def describe(self) -> dict[str, object]:
        return {
            "folds": [fold.describe() for fold in self.folds],
            "holdout": None if self.holdout is None else self.holdout.describe(),
        }


@dataclass(frozen=True)
class _Calendar:
    """Sorted unique dates, the row dates, and the rules that pick training dates."""

    unique_dates: np.ndarray
    row_dates: np.ndarray
    gap: int
    horizon: int
    max_train_days: int | None

    def window(self, test_dates: np.ndarray) -> Window:
        start = test_dates[0]
        position = int(np.searchsorted(self.unique_dates, start))
        candidates = self.unique_dates[: max(position - self.gap, 0)]
        train_dates = candidates[candidates < start - np.timedelta64(self.horizon, "D")]
        if self.max_train_days is not None and len(train_dates):
            oldest = train_dates[-1] - np.timedelta64(self.max_train_days - 1, "D")
            train_dates = train_dates[train_dates >= oldest]
        if len(train_dates) == 0:
            raise ValueError(f"no training date is left before {_day(start)}")
        return Window(
            train_rows=np.flatnonzero(np.isin(self.row_dates, train_dates)),
            test_rows=np.flatnonzero(np.isin(self.row_dates, test_dates)),
            train_start=pd.Timestamp(train_dates[0]),
            train_end=pd.Timestamp(train_dates[-1]),
            test_start=pd.Timestamp(test_dates[0]),
            test_end=pd.Timestamp(test_dates[-1]),
        )


def _refit_blocks(test_dates: np.ndarray, every_days: int) -> list[np.ndarray]:
    """``test_dates`` cut every ``every_days`` calendar days from the first one."""
    offsets = (test_dates - test_dates[0]) // np.timedelta64(1, "D")
    block = offsets // every_days
    return [test_dates[block == number] for number in np.unique(block)]


def walk_forward_plan(
    dates: pd.Series,
    *,
    n_splits: int,
    gap: int,
    horizon: int,
    retrain_every_days: int,
    max_train_days: int | None = None,
    holdout_days: int = 0,
) -> WalkForwardPlan:
    """The folds and hold-out over the unique values of ``dates`` (see the module doc)."""
    if gap < horizon:
        raise ValueError(f"gap ({gap}) must be at least the label horizon ({horizon})")
    unique_dates = np.sort(dates.unique())
    calendar = _Calendar(unique_dates, dates.to_numpy(), gap, horizon, max_train_days)
    holdout = None
    walk_forward_dates = unique_dates
    if holdout_days > 0:
        holdout_start = unique_dates[-1] - np.timedelta64(holdout_days - 1, "D")
        holdout_dates = unique_dates[unique_dates >= holdout_start]
        walk_forward_dates = unique_dates[
            unique_dates < holdout_start - np.timedelta64(horizon, "D")
        ]
        if len(walk_forward_dates) < n_splits + 1 + gap:
            raise ValueError(
                f"training.holdout_days ({holdout_days}) leaves {len(walk_forward_dates)} "
                f"dates for the walk-forward, too few for {n_splits} folds"
            )
        holdout = calendar.window(holdout_dates)
    if len(walk_forward_dates) < n_splits + 1 + gap:
        raise ValueError(
            f"{len(walk_forward_dates)} unique dates are too few for {n_splits} folds "
            f"with a gap of {gap}"
        )
    splitter = TimeSeriesSplit(n_splits=n_splits, gap=gap)
    folds = []
    for number, (_, test_positions) in enumerate(splitter.split(walk_forward_dates)):
        blocks = _refit_blocks(walk_forward_dates[test_positions], retrain_every_days)
        try:
            windows = tuple(calendar.window(block) for block in blocks)
        except ValueError as error:
            raise ValueError(f"fold {number}: {error}") from None
        folds.append(Fold(number=number, windows=windows))
    return WalkForwardPlan(folds=tuple(folds), holdout=holdout)
