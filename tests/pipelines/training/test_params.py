"""Training parameters: the shipped file is valid; each mistake names its parameter."""

from __future__ import annotations

import copy

import pytest

from criptos.modeling.params import MODEL_NAMES, TrainingParams, TrainingParamsError
from tests.pipelines.training.synthetic import shipped_training_params


def _with(change) -> dict:
    params = copy.deepcopy(shipped_training_params())
    change(params)
    return params


def test_the_shipped_parameters_are_valid_with_the_documented_defaults():
    params = TrainingParams.from_dict(shipped_training_params())
    assert (params.horizon, params.n_splits, params.gap) == (1, 5, 1)
    assert tuple(params.models) == MODEL_NAMES
    assert {
        spec.task
        for name, spec in params.models.items()
        if name.startswith("regressor")
    } == {"regression"}
    assert params.excluded_columns == ("data",)


def test_every_estimator_with_a_random_state_gets_the_fixed_seed():
    params = TrainingParams.from_dict(shipped_training_params())
    for spec in params.models.values():
        estimator = spec.make_estimator(params.random_seed)
        if "random_state" in estimator.get_params():
            assert estimator.get_params()["random_state"] == params.random_seed, (
                spec.name
            )


def test_an_estimator_is_swapped_through_parameters_alone():
    def use_extra_trees(params):
        params["models"]["regressor_rf"] = {
            "task": "regression",
            "estimator": "sklearn.ensemble.ExtraTreesRegressor",
            "kwargs": {"n_estimators": 7, "random_state": 3},
        }

    spec = TrainingParams.from_dict(_with(use_extra_trees)).model("regressor_rf")
    estimator = spec.make_estimator(random_seed=0)
    assert type(estimator).__name__ == "ExtraTreesRegressor"
    assert estimator.get_params()["n_estimators"] == 7
    assert estimator.get_params()["random_state"] == 3


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda p: p.update(horizon=0), "training.horizon"),
        (lambda p: p.update(horizon="1"), "training.horizon"),
        (lambda p: p.update(n_splits=1), "training.n_splits"),
        (
            lambda p: p["models"]["regressor_rf"]["kwargs"].update(max_depth="deep"),
            "training.models.regressor_rf.kwargs",
        ),
        (lambda p: p.update(openmp_threads=0), "training.openmp_threads"),
        (lambda p: p.update(horizon=3, gap=2), "training.gap"),
        (lambda p: p.update(horizn=2), "horizn"),
        (lambda p: p.update(excluded_columns="data"), "training.excluded_columns"),
        (
            lambda p: p["beats_baseline_metric"].update(regression="r2"),
            "beats_baseline_metric.regression",
        ),
        (lambda p: p["models"].pop("classifier_rf"), "training.models"),
        (
            lambda p: p["models"]["regressor_gbr"].update(
                estimator="sklearn.ensemble.NoSuchModel"
            ),
            "training.models.regressor_gbr.estimator",
        ),
        (
            lambda p: p["models"]["regressor_gbr"].update(
                estimator="HistGradientBoostingRegressor"
            ),
            "training.models.regressor_gbr.estimator",
        ),
        (
            lambda p: p["models"]["regressor_gbr"].update(
                estimator="collections.OrderedDict"
            ),
            "training.models.regressor_gbr.estimator",
        ),
        (
            lambda p: p["models"]["regressor_rf"]["kwargs"].update(n_estimator=10),
            "training.models.regressor_rf.kwargs",
        ),
        (
            lambda p: p["models"]["classifier_log"].update(
                estimator="sklearn.linear_model.Ridge", kwargs={}
            ),
            "training.models.classifier_log.estimator",
        ),
        (
            lambda p: p["models"]["classifier_log"].update(task="ranking"),
            "training.models.classifier_log.task",
        ),
        (
            lambda p: p["models"]["classifier_log"].update(scaler="minmax"),
            "training.models.classifier_log.scaler",
        ),
        (
            lambda p: p["models"]["classifier_log"].update(scale=True),
            "training.models.classifier_log",
        ),
    ],
)
def test_a_bad_parameter_fails_with_its_name(change, named):
    with pytest.raises(TrainingParamsError, match=named.replace(".", r"\.")):
        TrainingParams.from_dict(_with(change))
