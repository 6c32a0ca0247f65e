"""Walk-forward folds over unique dates.

Folds are built on the sorted unique dates, never on rows, so that every asset of a
date falls on the same side. Each fold trains on all dates before its test block
except the last ``gap`` ones; with ``gap >= horizon`` no training label (which looks
``horizon`` days ahead) reaches into the test dates. As a second guard, training
rows whose label date is not strictly before the first test date are purged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import TimeSeriesSplit


@dataclass(frozen=True)
class Fold:
    """Row positions of one walk-forward split and its date ranges."""

    number: int
    train_rows: np.ndarray
    test_rows: np.ndarray
    train_start: pd.Timestamp
    train_end: pd.Timestamp
    test_start: pd.Timestamp
    test_end: pd.Timestamp

    def describe(self) -> dict[str, object]:
        """JSON-ready date ranges and sizes."""
        return {
            "fold": self.number,
            "train_start": self.train_start.strftime("%Y-%m-%d"),
            "train_end": self.train_end.strftime("%Y-%m-%d"),
            "test_start": self.test_start.strftime("%Y-%m-%d"),
            "test_end": self.test_end.strftime("%Y-%m-%d"),
            "train_rows": int(len(self.train_rows)),
            "test_rows": int(len(self.test_rows)),
        }


def walk_forward_folds(
    dates: pd.Series, n_splits: int, gap: int, horizon: int
) -> list[Fold]:
    """``n_splits`` expanding-window folds over the unique values of ``dates``.

    ``gap`` unique dates are left out between the end of training and the start of
    testing; ``gap`` must be at least ``horizon``.
    """
    if gap < horizon:
        raise ValueError(f"gap ({gap}) must be at least the label horizon ({horizon})")
    unique_dates = np.sort(dates.unique())
    if len(unique_dates) < n_splits + 1 + gap:
        raise ValueError(
            f"{len(unique_dates)} unique dates are too few for {n_splits} folds with a gap of {gap}"
        )
    date_values = dates.to_numpy()
    splitter = TimeSeriesSplit(n_splits=n_splits, gap=gap)
    folds = []
    for number, (train_positions, test_positions) in enumerate(
        splitter.split(unique_dates)
    ):
        test_dates = unique_dates[test_positions]
        first_purged_date = test_dates[0] - np.timedelta64(horizon, "D")
        train_dates = unique_dates[train_positions]
        train_dates = train_dates[train_dates < first_purged_date]
        if len(train_dates) == 0:
            raise ValueError(
                f"fold {number} has no training date left before {test_dates[0]}"
            )
        folds.append(
            Fold(
                number=number,
                train_rows=np.flatnonzero(np.isin(date_values, train_dates)),
                test_rows=np.flatnonzero(np.isin(date_values, test_dates)),
                train_start=pd.Timestamp(train_dates[0]),
                train_end=pd.Timestamp(train_dates[-1]),
                test_start=pd.Timestamp(test_dates[0]),
                test_end=pd.Timestamp(test_dates[-1]),
            )
        )
    return folds
