"""Training parameters: the shipped file is valid; each mistake names its parameter."""

from __future__ import annotations

import copy
import re

import pytest

from criptos.config.models import configured_model_names
from criptos.modeling.params import TrainingParams, TrainingParamsError
from tests.pipelines.training.synthetic import shipped_training_params

MODEL_NAMES = configured_model_names()

# Every optional key of the training parameters and the value it takes when left out.
DEFAULTS = {
    "horizon": 1,
    "n_splits": 5,
    "retrain_every_days": 30,
    "max_train_days": None,
    "holdout_days": 180,
    "significance_level": 0.05,
    "verdict_loss": {"regression": "mse", "classification": "log_loss"},
    "scale_free_inputs": True,
    "importance_repeats": 3,
    "openmp_threads": 1,
    "n_jobs": None,
    "excluded_columns": ("data",),
}


def _with(change) -> dict:
    params = copy.deepcopy(shipped_training_params())
    change(params)
    return params


def _plain(value):
    """A parsed section as the mapping the parameters file writes."""
    return value.model_dump() if hasattr(value, "model_dump") else value


def _parsed(**changes) -> TrainingParams:
    return TrainingParams.from_dict(_with(lambda p: p.update(changes)))


def test_the_shipped_parameters_are_valid_with_the_documented_defaults():
    params = TrainingParams.from_dict(shipped_training_params())
    assert (params.horizon, params.n_splits, params.gap) == (1, 5, 1)
    assert tuple(params.models) == MODEL_NAMES
    assert {
        spec.task
        for name, spec in params.models.items()
        if name.startswith("regressor")
    } == {"regression"}
    assert {
        spec.task
        for name, spec in params.models.items()
        if name.startswith("classifier")
    } == {"classification"}
    for name, value in DEFAULTS.items():
        assert _plain(getattr(params, name)) == value, name
    assert (
        params.retrain_every_days,
        params.holdout_days,
        params.significance_level,
    ) == (30, 180, 0.05)


def test_left_out_keys_take_the_same_defaults_as_the_shipped_file():
    def keep_only_required(params):
        for name in [*DEFAULTS, "gap"]:
            params.pop(name)

    params = TrainingParams.from_dict(_with(keep_only_required))
    for name, value in DEFAULTS.items():
        assert _plain(getattr(params, name)) == value, name
    assert params.gap == params.horizon


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
    ("verdict_loss", "expected"),
    [
        (None, {"regression": "mse", "classification": "log_loss"}),
        ({"regression": "mae"}, {"regression": "mae", "classification": "log_loss"}),
        ({"classification": "brier"}, {"regression": "mse", "classification": "brier"}),
        (
            {"regression": "mae", "classification": "brier"},
            {"regression": "mae", "classification": "brier"},
        ),
    ],
)
def test_the_verdict_loss_is_chosen_per_task(verdict_loss, expected):
    assert _parsed(verdict_loss=verdict_loss).verdict_loss.model_dump() == expected


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("significance_level", 0.01),
        ("significance_level", 0.5),
        ("retrain_every_days", 1),
        ("max_train_days", 1),
        ("max_train_days", 365),
        ("holdout_days", 0),
        ("scale_free_inputs", False),
        ("importance_repeats", 1),
        ("n_jobs", -1),
        ("n_jobs", 1),
        ("n_jobs", 4),
    ],
)
def test_a_valid_value_of_a_new_parameter_is_kept(name, value):
    assert getattr(_parsed(**{name: value}), name) == value


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
        # The old verdict setting is gone: it is an unknown key now.
        (
            lambda p: p.update(beats_baseline_metric={"regression": "mse"}),
            "training.beats_baseline_metric: unknown parameter",
        ),
        (lambda p: p.update(excluded_columns="data"), "training.excluded_columns"),
        (lambda p: p["models"].clear(), "training.models = {}: must define at least"),
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
    with pytest.raises(TrainingParamsError, match=re.escape(named)):
        TrainingParams.from_dict(_with(change))


@pytest.mark.parametrize(
    ("verdict_loss", "named"),
    [
        ({"regression": "r2"}, "training.verdict_loss.regression"),
        # A loss of the other task is refused.
        ({"regression": "log_loss"}, "training.verdict_loss.regression"),
        ({"classification": "mse"}, "training.verdict_loss.classification"),
        ({"classification": "accuracy"}, "training.verdict_loss.classification"),
        ({"ranking": "mse"}, "training.verdict_loss.ranking: unknown parameter"),
        ("mse", "training.verdict_loss = 'mse'"),
        (["mse", "log_loss"], "training.verdict_loss = ['mse', 'log_loss']"),
    ],
)
def test_a_bad_verdict_loss_fails_with_its_name(verdict_loss, named):
    with pytest.raises(TrainingParamsError, match=re.escape(named)):
        _parsed(verdict_loss=verdict_loss)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("significance_level", 0),
        ("significance_level", 0.0),
        ("significance_level", 1),
        ("significance_level", 1.5),
        ("significance_level", -0.05),
        ("significance_level", "0.05"),
        ("significance_level", True),
        ("significance_level", None),
        ("retrain_every_days", 0),
        ("retrain_every_days", -30),
        ("retrain_every_days", 7.5),
        ("retrain_every_days", "30"),
        ("retrain_every_days", True),
        ("retrain_every_days", None),
        ("max_train_days", 0),
        ("max_train_days", -1),
        ("max_train_days", 365.0),
        ("max_train_days", "all"),
        ("holdout_days", -1),
        ("holdout_days", 90.0),
        ("holdout_days", "180"),
        ("holdout_days", None),
        ("scale_free_inputs", "true"),
        ("scale_free_inputs", 1),
        ("scale_free_inputs", None),
        ("importance_repeats", 0),
        ("importance_repeats", 2.0),
        ("importance_repeats", None),
        ("n_jobs", 0),
        ("n_jobs", -2),
        ("n_jobs", 1.5),
        ("n_jobs", "all"),
        ("n_jobs", True),
    ],
)
def test_a_bad_value_of_a_new_parameter_fails_with_its_name(name, value):
    with pytest.raises(TrainingParamsError, match=rf"training\.{name}\b"):
        _parsed(**{name: value})
