"""Honesty controls: no verdict of skill on random walks, the planted AR(1) is found.

A pipeline that passes the first control and fails the second has lost the alignment
between features and labels; one that fails the first is leaking the future (or its
test is too lenient). Both data sets go through the real path: candles ->
compute_features -> training nodes -> the tested verdicts of metrics.json.
"""

from __future__ import annotations

import numpy as np
import pytest

from criptos.config.models import configured_model_names
from criptos.pipelines.training.nodes import (
    evaluate_training_model,
    plan_walk_forward,
    prepare_training_table,
    report_training_metrics,
)
from tests.pipelines.training.synthetic import (
    ar1_returns,
    fast_training_params,
    features_from_returns,
    random_walk_returns,
)

MODEL_NAMES = configured_model_names()

pytestmark = pytest.mark.slow
DAYS, ASSETS = 1500, 5
LINEAR_MODELS = ("regressor_lin", "classifier_log")


def _metrics(features, model_names, params):
    table = prepare_training_table(features, params)
    plan = plan_walk_forward(table, params)
    evaluations = [
        evaluate_training_model(table, plan, params, model=name) for name in model_names
    ]
    return report_training_metrics(table, plan, params, *evaluations)["models"]


@pytest.fixture(scope="module")
def training_params():
    return fast_training_params()


@pytest.fixture(scope="module")
def random_walk_models(training_params):
    features = features_from_returns(
        random_walk_returns(DAYS, ASSETS, seed=11), seed=11
    )
    return _metrics(features, MODEL_NAMES, training_params)


@pytest.fixture(scope="module")
def ar1_models(training_params):
    features = features_from_returns(ar1_returns(DAYS, ASSETS, seed=23), seed=23)
    return _metrics(features, LINEAR_MODELS, training_params)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_no_verdict_says_a_model_beats_a_random_walk(random_walk_models, name):
    entry = random_walk_models[name]
    for verdict in (entry["verdict"], entry["holdout"]["verdict"]):
        assert verdict["beats_baseline"] is False, verdict
        # Not significantly better. A tree ensemble that fits the noise may well be
        # significantly *worse* than the baseline, which is a true finding.
        assert verdict["p_value_adjusted"] >= 0.05 or verdict["difference"] > 0, verdict
    hit_rate = entry["out_of_sample"][
        "directional_accuracy" if entry["task"] == "regression" else "accuracy"
    ]
    assert abs(hit_rate - 0.5) < 0.03, entry["out_of_sample"]


@pytest.mark.parametrize("name", LINEAR_MODELS)
def test_the_linear_models_find_the_planted_ar1_signal(ar1_models, name):
    verdict = ar1_models[name]["verdict"]
    assert verdict["beats_baseline"] is True, verdict
    assert verdict["p_value_adjusted"] < 0.01, verdict
    assert verdict["ci_high"] < 0, verdict


def test_the_random_walk_control_catches_a_leaked_future(training_params):
    """A feature that peeks one day ahead must show up as skill: the control can fail."""
    features = features_from_returns(
        random_walk_returns(DAYS // 2, ASSETS, seed=5), seed=5
    )
    next_return = features.groupby("ativo", sort=False)["retorno_log"].shift(-1)
    leaky = features.assign(vazamento=next_return.to_numpy(dtype=np.float64))
    verdict = _metrics(leaky, ("classifier_log",), training_params)["classifier_log"][
        "verdict"
    ]
    assert verdict["beats_baseline"] is True, verdict
