"""Walk-forward folds: dates never straddle, the gap holds, every asset of a date together."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from criptos.modeling.folds import walk_forward_folds


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


@pytest.mark.parametrize(
    ("n_splits", "gap", "horizon"), [(5, 1, 1), (3, 7, 7), (4, 10, 3)]
)
def test_no_date_on_both_sides_and_the_gap_is_respected(n_splits, gap, horizon):
    dates = _ragged_dates()
    unique_dates = np.sort(dates.unique())
    folds = walk_forward_folds(dates, n_splits=n_splits, gap=gap, horizon=horizon)
    assert [fold.number for fold in folds] == list(range(n_splits))
    for fold in folds:
        train_dates = set(dates.iloc[fold.train_rows])
        test_dates = set(dates.iloc[fold.test_rows])
        assert not train_dates & test_dates
        assert max(train_dates) < min(test_dates)
        skipped = np.sum(
            (unique_dates > max(train_dates)) & (unique_dates < min(test_dates))
        )
        assert skipped >= gap
        # The label of the last training row (h days ahead) is known before testing starts.
        assert max(train_dates) + pd.Timedelta(days=horizon) < min(test_dates)
        assert fold.train_end == max(train_dates) and fold.test_start == min(test_dates)


def test_every_asset_of_a_date_falls_in_the_same_fold_and_tests_walk_forward():
    dates = _ragged_dates()
    folds = walk_forward_folds(dates, n_splits=5, gap=1, horizon=1)
    for fold in folds:
        test_dates = dates.iloc[fold.test_rows].unique()
        rows_of_those_dates = np.flatnonzero(dates.isin(test_dates).to_numpy())
        np.testing.assert_array_equal(np.sort(fold.test_rows), rows_of_those_dates)
    for earlier, later in zip(folds, folds[1:], strict=False):
        assert earlier.test_end < later.test_start
        assert len(earlier.train_rows) < len(later.train_rows)
        assert earlier.train_start == later.train_start
    assert folds[-1].test_end == dates.max()


def test_describe_gives_json_ready_ranges():
    fold = walk_forward_folds(_ragged_dates(), n_splits=2, gap=1, horizon=1)[0]
    described = fold.describe()
    assert set(described) == {
        "fold",
        "train_start",
        "train_end",
        "test_start",
        "test_end",
        "train_rows",
        "test_rows",
    }
    assert described["train_start"] == "2020-01-01"
    assert isinstance(described["train_rows"], int)


def test_a_gap_below_the_horizon_or_too_few_dates_is_refused():
    dates = _ragged_dates()
    with pytest.raises(ValueError, match="at least the label horizon"):
        walk_forward_folds(dates, n_splits=5, gap=1, horizon=2)
    with pytest.raises(ValueError, match="too few"):
        walk_forward_folds(dates.iloc[:5], n_splits=5, gap=1, horizon=1)
