"""The verdict: the strongest baseline, a paired test, Holm, and "beats" only if lower."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from criptos.modeling.verdict import adjust_verdicts, verdict_against_baselines

DAYS, ASSETS = 400, 3


def _predictions(model_error: float, seed: int, model_bias: float = 0.0):
    """Returns with a known truth; the model sees it with noise of ``model_error``."""
    rng = np.random.default_rng(seed)
    dates = np.repeat(pd.date_range("2020-01-01", periods=DAYS), ASSETS)
    signal = rng.normal(0.0, 0.02, size=DAYS * ASSETS)
    realized = 0.001 + signal + rng.normal(0.0, 0.02, size=DAYS * ASSETS)
    return pd.DataFrame(
        {
            "ativo": np.tile(["A", "B", "C"], DAYS),
            "data": dates,
            "realized": realized,
            "predicted": signal
            + model_bias
            + rng.normal(0.0, model_error, DAYS * ASSETS),
            "baseline_zero": 0.0,
            "baseline_far": 0.05,
        }
    )


def test_the_strongest_baseline_is_chosen_and_a_real_edge_is_significant():
    verdict = verdict_against_baselines(
        _predictions(0.002, seed=1), "regression", "mse", ["far", "zero"], horizon=1
    )
    assert verdict["baseline"] == "zero"
    assert verdict["model_loss"] < verdict["baseline_loss"]
    assert verdict["difference"] == pytest.approx(
        verdict["model_loss"] - verdict["baseline_loss"]
    )
    assert verdict["p_value"] < 1e-6 and verdict["statistic"] < 0
    assert verdict["days"] == DAYS and verdict["hac_lag"] >= 1


def test_beats_needs_a_lower_loss_and_an_adjusted_p_below_the_level():
    good = verdict_against_baselines(
        _predictions(0.002, seed=2), "regression", "mse", ["zero"], horizon=1
    )
    worse = verdict_against_baselines(
        _predictions(0.002, seed=3, model_bias=0.03), "regression", "mse", ["zero"], 1
    )
    noise = verdict_against_baselines(
        _predictions(0.03, seed=4), "regression", "mse", ["zero"], horizon=1
    )
    assert worse["p_value"] < 1e-6 and worse["difference"] > 0
    adjusted = adjust_verdicts({"good": good, "worse": worse, "noise": noise}, 0.05)
    assert adjusted["good"]["beats_baseline"] is True
    assert adjusted["worse"]["beats_baseline"] is False  # significant, but worse
    assert adjusted["noise"]["beats_baseline"] is False
    for name, verdict in adjusted.items():
        assert verdict["p_value_adjusted"] >= verdict["p_value"], name
        assert verdict["significance_level"] == 0.05
    strict = adjust_verdicts({"good": good}, good["p_value"] / 2)
    assert strict["good"]["beats_baseline"] is False
