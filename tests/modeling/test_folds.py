"""The walk-forward plan: refits that never see their test days, an untouched hold-out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from criptos.modeling.folds import walk_forward_plan


def _ragged_dates() -> pd.Series:
    """Three assets that start on different days (like the real data), asset-sorted."""
    starts = {"A": "2020-01-01", "B": "2020-03-15", "C": "2020-07-01"}
    frames = [
        pd.DataFrame(
            {"ativo": asset, "data": pd.date_range(start, "2021-06-30", freq="D")}
        )
        for asset, start in starts.items()
    ]
    return pd.concat(frames, ignore_index=True)["data"]


def _plan(dates, **overrides):
    settings = {
        "n_splits": 4,
        "gap": 1,
        "horizon": 1,
        "retrain_every_days": 30,
        "max_train_days": None,
        "holdout_days": 60,
        **overrides,
    }
    return walk_forward_plan(dates, **settings)


def _windows(plan):
    return [window for fold in plan.folds for window in fold.windows]


@pytest.mark.parametrize(
    ("gap", "horizon", "every", "holdout"),
    [(1, 1, 30, 60), (7, 7, 10, 0), (10, 3, 45, 90)],
)
def test_every_refit_trains_only_on_labels_known_before_its_first_forecast(
    gap, horizon, every, holdout
):
    dates = _ragged_dates()
    unique_dates = np.sort(dates.unique())
    plan = _plan(
        dates, gap=gap, horizon=horizon, retrain_every_days=every, holdout_days=holdout
    )
    windows = _windows(plan) + ([plan.holdout] if plan.holdout else [])
    for window in windows:
        train_dates = dates.iloc[window.train_rows]
        test_dates = dates.iloc[window.test_rows]
        assert train_dates.max() + pd.Timedelta(days=horizon) < test_dates.min()
        skipped = np.sum(
            (unique_dates > train_dates.max()) & (unique_dates < test_dates.min())
        )
        assert skipped >= gap
        assert (test_dates.max() - test_dates.min()).days < (
            every if window is not plan.holdout else holdout
        )


def test_refits_tile_each_test_block_and_every_asset_of_a_date_stays_together():
    dates = _ragged_dates()
    plan = _plan(dates)
    for fold in plan.folds:
        tested = np.sort(fold.test_rows)
        assert len(np.unique(tested)) == len(tested)
        rows_of_those_dates = np.flatnonzero(
            dates.isin(dates.iloc[tested].unique()).to_numpy()
        )
        np.testing.assert_array_equal(tested, rows_of_those_dates)
        starts = [window.test_start for window in fold.windows]
        assert starts == sorted(starts)
        assert len(fold.windows) > 1
    windows = _windows(plan)
    for earlier, later in zip(windows, windows[1:], strict=False):
        assert earlier.test_end < later.test_start
        assert len(earlier.train_rows) <= len(later.train_rows)
        assert earlier.train_start == later.train_start  # an expanding window


def test_the_holdout_is_the_last_days_and_nothing_else_touches_them():
    dates = _ragged_dates()
    plan = _plan(dates, holdout_days=60)
    holdout_dates = dates.iloc[plan.holdout.test_rows]
    assert holdout_dates.max() == dates.max()
    assert holdout_dates.min() == dates.max() - pd.Timedelta(days=59)
    assert set(plan.holdout.test_rows) == set(
        np.flatnonzero((dates >= holdout_dates.min()).to_numpy())
    )
    for window in _windows(plan):
        used = dates.iloc[np.concatenate([window.train_rows, window.test_rows])]
        # The label of a walk-forward row (one day ahead) is known before the hold-out.
        assert used.max() + pd.Timedelta(days=1) < holdout_dates.min()
    assert dates.iloc[plan.holdout.train_rows].max() < holdout_dates.min()


def test_max_train_days_slides_the_window():
    dates = _ragged_dates()
    plan = _plan(dates, max_train_days=90)
    for window in _windows(plan):
        span = dates.iloc[window.train_rows]
        assert (span.max() - span.min()).days == 89


def test_describe_gives_json_ready_ranges():
    described = _plan(_ragged_dates()).describe()
    fold = described["folds"][0]
    assert fold["train_start"] == "2020-01-01"
    assert fold["refits"] >= 2
    assert fold["first_train_end"] <= fold["last_train_end"] < fold["test_end"]
    assert isinstance(fold["test_rows"], int)
    assert described["holdout"]["test_end"] == "2021-06-30"


def test_bad_plans_are_refused_with_the_reason():
    dates = _ragged_dates()
    with pytest.raises(ValueError, match="at least the label horizon"):
        _plan(dates, gap=1, horizon=2)
    with pytest.raises(ValueError, match="too few"):
        _plan(dates.iloc[:5], holdout_days=0)
    with pytest.raises(ValueError, match="holdout_days"):
        _plan(dates, holdout_days=545)
