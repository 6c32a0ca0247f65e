"""Labels: per-asset alignment with the close ``h`` days later, unlabelled tails dropped."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from criptos.modeling.labels import DIRECTION_TARGET, RETURN_TARGET, add_labels


def _features(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["ativo", "data", "fechamento"])
    frame["data"] = pd.to_datetime(frame["data"])
    frame["ativo"] = frame["ativo"].astype("str")
    return frame


def test_each_row_is_labelled_with_its_own_asset_close_h_days_later():
    features = _features(
        [
            ("BTC", "2024-01-01", 100.0),
            ("BTC", "2024-01-02", 110.0),
            ("BTC", "2024-01-03", 99.0),
            ("BTC", "2024-01-04", 99.0),
            ("ETH", "2024-01-02", 10.0),
            ("ETH", "2024-01-03", 20.0),
            ("ETH", "2024-01-04", 5.0),
        ]
    )
    labelled = add_labels(features, horizon=2)
    assert labelled[["ativo", "data"]].astype(str).values.tolist() == [
        ["BTC", "2024-01-01"],
        ["BTC", "2024-01-02"],
        ["ETH", "2024-01-02"],
    ]
    np.testing.assert_allclose(
        labelled[RETURN_TARGET], [np.log(99 / 100), np.log(99 / 110), np.log(5 / 10)]
    )
    assert labelled[DIRECTION_TARGET].tolist() == [False, False, False]


def test_the_last_h_rows_of_every_asset_are_left_out_and_direction_follows_the_sign():
    features = _features(
        [
            ("A", f"2024-01-0{day}", price)
            for day, price in enumerate([1.0, 2.0, 2.0, 3.0], 1)
        ]
        + [
            ("B", f"2024-01-0{day}", price)
            for day, price in enumerate([5.0, 4.0, 6.0], 1)
        ]
    )
    labelled = add_labels(features, horizon=1)
    assert labelled.groupby("ativo")["data"].max().astype(str).to_dict() == {
        "A": "2024-01-03",
        "B": "2024-01-02",
    }
    # A zero return is "not up", like the zero-return baseline.
    assert labelled[DIRECTION_TARGET].tolist() == [True, False, True, False, True]
    assert len(add_labels(features, horizon=3)) == 1


def test_a_missing_day_leaves_the_row_before_it_unlabelled():
    features = _features(
        [("A", "2024-01-01", 1.0), ("A", "2024-01-02", 2.0), ("A", "2024-01-04", 4.0)]
    )
    labelled = add_labels(features, horizon=1)
    assert labelled["data"].astype(str).tolist() == ["2024-01-01"]


def test_features_keep_their_values_and_nothing_is_labelled_from_another_asset(
    real_features,
):
    labelled = add_labels(real_features, horizon=1)
    per_asset_next = real_features.groupby("ativo")["fechamento"].shift(-1)
    expected = np.log(per_asset_next / real_features["fechamento"]).dropna()
    np.testing.assert_allclose(labelled[RETURN_TARGET].to_numpy(), expected.to_numpy())
    assert len(real_features) - len(labelled) == real_features["ativo"].nunique()
    kept = real_features.loc[expected.index].reset_index(drop=True)
    pd.testing.assert_frame_equal(labelled[list(real_features.columns)], kept)


def test_duplicate_asset_dates_and_bad_horizons_are_refused():
    features = _features([("A", "2024-01-01", 1.0), ("A", "2024-01-01", 2.0)])
    with pytest.raises(ValueError, match="several rows for one asset and date"):
        add_labels(features, horizon=1)
    with pytest.raises(ValueError, match="horizon"):
        add_labels(features.iloc[:1], horizon=0)
