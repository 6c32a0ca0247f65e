"""Honesty controls: no skill on a random walk, the planted AR(1) signal is found.

A pipeline that passes the first control and fails the second has lost the alignment
between features and labels; one that fails the first is leaking the future. Both
data sets go through the real path: candles -> compute_features -> training nodes.
"""

from __future__ import annotations

import numpy as np
import pytest

from criptos.modeling.params import MODEL_NAMES
from criptos.modeling.report import mean_scores
from criptos.pipelines.training.nodes import (
    evaluate_training_model,
    prepare_training_table,
    split_walk_forward,
)
from tests.pipelines.training.synthetic import (
    ar1_returns,
    fast_training_params,
    features_from_returns,
    random_walk_returns,
)

# 8 assets x 1,200 days: about 8,000 out-of-sample forecasts per model, so the
# standard error of an accuracy is about 0.006 and 0.5 +- 0.03 is a 5-sigma band.
DAYS, ASSETS = 1200, 8
NO_SKILL_BAND = 0.03
NO_SKILL_AUC_BAND = 0.04
SKILL_FLOOR = 0.57
DIRECTION_METRIC = {"regression": "directional_accuracy", "classification": "accuracy"}


def _cv_scores(features, model_names, params):
    table = prepare_training_table(features, params)
    folds = split_walk_forward(table, params)
    scores = {}
    for name in model_names:
        evaluation = evaluate_training_model(table, folds, params, model_name=name)
        scores[name] = mean_scores(evaluation["cv_folds"], evaluation["task"])
        scores[name]["task"] = evaluation["task"]
    return scores


@pytest.fixture(scope="module")
def training_params():
    return fast_training_params()


@pytest.fixture(scope="module")
def random_walk_scores(training_params):
    features = features_from_returns(
        random_walk_returns(DAYS, ASSETS, seed=11), seed=11
    )
    return _cv_scores(features, MODEL_NAMES, training_params)


@pytest.fixture(scope="module")
def ar1_scores(training_params):
    features = features_from_returns(ar1_returns(DAYS, ASSETS, seed=23), seed=23)
    return _cv_scores(features, ("regressor_lin", "classifier_log"), training_params)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_no_model_shows_skill_on_a_random_walk(random_walk_scores, name):
    scores = random_walk_scores[name]
    direction = scores[DIRECTION_METRIC[scores["task"]]]
    assert abs(direction - 0.5) <= NO_SKILL_BAND, scores
    if scores["task"] == "classification":
        assert abs(scores["roc_auc"] - 0.5) <= NO_SKILL_AUC_BAND, scores


@pytest.mark.parametrize("name", ["regressor_lin", "classifier_log"])
def test_linear_models_find_the_planted_ar1_signal(ar1_scores, name):
    scores = ar1_scores[name]
    assert scores[DIRECTION_METRIC[scores["task"]]] >= SKILL_FLOOR, scores


def test_the_random_walk_control_catches_a_leaked_future(training_params):
    """A feature that peeks one day ahead must show up as skill: the control can fail."""
    features = features_from_returns(
        random_walk_returns(DAYS // 2, ASSETS, seed=5), seed=5
    )
    next_return = features.groupby("ativo", sort=False)["retorno_log"].shift(-1)
    leaky = features.assign(vazamento=next_return.to_numpy(dtype=np.float64))
    scores = _cv_scores(leaky, ("classifier_log",), training_params)["classifier_log"]
    assert scores["accuracy"] > 0.5 + NO_SKILL_BAND, scores
