"""Answers that carry their caveats: verdicts, the recommended model, honest refusals."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pytest

from criptos.api.caveats import price_decimals, recommended_models, refusal_of
from criptos.api.predictions import FEATURE_METADATA_ATTR, build_state
from criptos.api.state import AssetNotServed
from criptos.features import FeatureParams
from criptos.features.table import feature_metadata
from tests.api.conftest import FIRST_VERSION, BundleFactory

TODAY = date(2021, 7, 7)


def verdict(beats: bool, p: float, loss: float, holdout_loss: float | None) -> dict:
    scores: dict[str, Any] = {
        "verdict": {
            "beats_baseline": beats,
            "p_value_adjusted": p,
            "metric": "mse",
            "baseline": "zero",
            "model_loss": loss,
        },
        "holdout_verdict": None
        if holdout_loss is None
        else {"model_loss": holdout_loss, "beats_baseline": beats},
    }
    return scores


METRICS = {
    "regressor_lin": verdict(True, 0.012345678, 1.0, 0.9),
    "regressor_gbr": verdict(True, 0.03, 0.8, 0.7),
    "regressor_rf": verdict(False, 0.2, 0.5, 0.1),  # lowest loss, but failed
    "classifier_log": verdict(False, 0.5, 0.69, 0.69),
    "classifier_rf": {
        **verdict(False, 1.0, 0.7, None),
        "holdout_net_sharpe": 1.23456,
    },
}


def with_metadata(features: pd.DataFrame) -> pd.DataFrame:
    """``features`` as the source loads a table criptos wrote (its parameters known)."""
    features = features.copy()
    features.attrs[FEATURE_METADATA_ATTR] = feature_metadata(FeatureParams())
    return features


def test_each_prediction_carries_its_verdict_and_the_recommended_model(
    real_features: pd.DataFrame, make_bundle: BundleFactory
) -> None:
    state = build_state(make_bundle(FIRST_VERSION, metrics=METRICS), real_features)
    answer = state.answer("btc", TODAY)
    lin = answer.predictions["regressor_lin"]
    assert lin.verdict.model_dump() == {
        "beats_baseline": True,
        "p_value_adjusted": 0.0123,
        "metric": "mse",
        "baseline": "zero",
    }
    assert lin.holdout_net_sharpe is None
    assert answer.predictions["classifier_rf"].holdout_net_sharpe == 1.235
    # the passing regressor with the lowest hold-out loss; no classifier passed
    assert answer.recommended.model_dump() == {
        "regression": "regressor_gbr",
        "classification": None,
    }


def test_without_a_hold_out_the_walk_forward_loss_decides() -> None:
    manifest = {
        "models": {
            "a": {"task": "regression"},
            "b": {"task": "regression"},
            "c": {"task": "classification"},
        },
        "metrics": {
            "a": verdict(True, 0.01, 0.5, None),
            "b": verdict(True, 0.01, 0.4, None),
            "c": verdict(True, 0.01, 0.6, None),
        },
    }
    assert recommended_models(manifest).model_dump() == {
        "regression": "b",
        "classification": "c",
    }


def test_numbers_are_rounded_to_what_the_data_supports(
    real_features: pd.DataFrame, make_bundle: BundleFactory
) -> None:
    state = build_state(make_bundle(FIRST_VERSION), real_features)
    for code in ("BTC", "DOGE", "XRP"):
        answer = state.answer(code, TODAY)
        closes = real_features.loc[real_features["ativo"] == code, "fechamento"]
        places = price_decimals(closes.to_numpy())
        for output in answer.predictions.values():
            if output.task == "regression":
                value = output.predicted_log_return
                assert value == round(value, 6)
                assert output.predicted_close == round(output.predicted_close, places)
            else:
                assert output.probability_up == round(output.probability_up, 4)
        assert answer.last_close == closes.iloc[-1]  # quoted exactly


def test_price_decimals_are_those_the_asset_is_quoted_with() -> None:
    assert price_decimals(np.array([34500.12, 34612.5, 34000.0])) == 2
    assert price_decimals(np.array([0.002345, 0.00231, np.nan])) == 6
    assert price_decimals(np.array([1e-15])) == 12  # capped


def test_an_asset_still_warming_up_is_422_with_the_days_needed(
    real_features: pd.DataFrame, new_asset: pd.DataFrame, make_bundle: BundleFactory
) -> None:
    features = with_metadata(pd.concat([real_features, new_asset], ignore_index=True))
    state = build_state(make_bundle(FIRST_VERSION), features)
    with pytest.raises(AssetNotServed) as refused:
        state.answer("NEWC", TODAY)
    needed = FeatureParams().warmup_rows - 3
    assert refused.value.status == 422 and refused.value.days_needed == needed
    assert refused.value.message == (
        f"asset NEWC has 3 day(s) of history but its features look back "
        f"{FeatureParams().warmup_rows} days (warm-up incomplete): {needed} more "
        "day(s) needed"
    )
    assert state.assets["NEWC"].answer is None
    assert state.answer("BTC", TODAY).missing_inputs == []


def test_without_recorded_parameters_missing_inputs_refuse_the_asset(
    real_features: pd.DataFrame, new_asset: pd.DataFrame, make_bundle: BundleFactory
) -> None:
    features = pd.concat([real_features, new_asset], ignore_index=True)
    state = build_state(make_bundle(FIRST_VERSION), features)
    with pytest.raises(AssetNotServed) as refused:
        state.answer("NEWC", TODAY)
    assert refused.value.status == 422 and refused.value.days_needed is None
    assert "model inputs are missing on its latest row" in refused.value.message


def test_a_few_missing_inputs_are_served_and_named(
    real_features: pd.DataFrame, make_bundle: BundleFactory
) -> None:
    features = real_features.copy()
    last_btc = features.index[features["ativo"] == "BTC"][-1]
    features.loc[last_btc, ["rsi_14", "atr_14"]] = np.nan
    state = build_state(make_bundle(FIRST_VERSION), features)
    assert sorted(state.answer("BTC", TODAY).missing_inputs) == ["atr_14", "rsi_14"]


def test_an_asset_not_seen_in_training_says_so(
    real_features: pd.DataFrame, make_bundle: BundleFactory
) -> None:
    training = {"rows": 1, "assets": ["BTC", "ETH"], "start": None, "end": None}
    state = build_state(make_bundle(FIRST_VERSION, training=training), real_features)
    assert state.answer("BTC", TODAY).seen_in_training is True
    assert state.answer("XEM", TODAY).seen_in_training is False


@pytest.mark.parametrize(
    ("rows", "missing", "expected"),
    [
        (61, [], None),
        (60, [], 1),
        (1, ["a"] * 40, 60),
        (100, ["a"] * 5, None),  # 5 of 55 is under 10 %
        (100, ["a"] * 6, "6 of 55 model inputs"),
    ],
)
def test_refusal_rules(rows: int, missing: list[str], expected: Any) -> None:
    refusal = refusal_of(
        "X",
        rows=rows,
        warmup_rows=61,
        missing=missing,
        inputs=55,
        max_missing_share=0.1,
    )
    if expected is None:
        assert refusal is None
    elif isinstance(expected, int):
        assert refusal is not None and refusal.days_needed == expected
    else:
        assert refusal is not None and expected in refusal.message
