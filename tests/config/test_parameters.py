"""The parameter tree: the shipped files parse, every mistake names its full path, the
value and what is allowed, and a misspelt key at any level gets the closest known one."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
from kedro.pipeline import Pipeline

from criptos import settings
from criptos.config.models import check_trained_models, configured_model_names
from criptos.config.parameters import (
    ProjectParameters,
    parameter_at,
    parse_parameters,
)
from criptos.config.schema import ParameterError
from criptos.contracts.errors import InputError
from criptos.features.params import FeatureEngineeringParams
from criptos.modeling.params import ModelSpec, TrainingParams
from criptos.pipelines.export.params import ExportParams
from criptos.validation.params import ValidationParams

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def shipped() -> dict:
    """The parameters of a plain run (conf/base, no --params), as Kedro loads them."""
    loader = settings.CONFIG_LOADER_CLASS(
        conf_source=str(PROJECT_ROOT / "conf"), **settings.CONFIG_LOADER_ARGS
    )
    return dict(loader["parameters"])


def _problems(raw: dict) -> str:
    with pytest.raises(ParameterError) as caught:
        parse_parameters(raw)
    return str(caught.value)


def _changed(shipped: dict, path: str, value) -> dict:
    raw = copy.deepcopy(shipped)
    *parents, key = path.split(".")
    target = raw
    for part in parents:
        target = target.setdefault(part, {})
    target[key] = value
    return raw


def test_the_shipped_parameters_parse_into_one_typed_tree(shipped):
    parsed = parse_parameters(shipped)
    assert isinstance(parsed, ProjectParameters)
    assert isinstance(parsed.training, TrainingParams)
    assert parsed.training.model_names == configured_model_names()
    assert isinstance(parsed.validation, ValidationParams)
    assert isinstance(parsed.feature_engineering, FeatureEngineeringParams)
    assert parsed.feature_engineering.mode == shipped["feature_engineering"]["mode"]
    assert isinstance(parsed.export, ExportParams)
    assert re.fullmatch(r"\d{8}", parsed.run_date)


@pytest.mark.parametrize(
    ("typo", "suggested"),
    [
        ("validaton", "validation"),
        ("feature_engineering.mod", "feature_engineering.mode"),
        ("feature_engineering.robust_windw", "feature_engineering.robust_window"),
        ("training.horizn", "training.horizon"),
        ("training.models.regressor_rf.taks", "training.models.regressor_rf.task"),
        ("training.verdict_loss.regresion", "training.verdict_loss.regression"),
        ("sample_data.assets.BTC.start_prise", "sample_data.assets.BTC.start_price"),
        ("export.keep_lats", "export.keep_last"),
        ("run_dte", "run_date"),
    ],
)
def test_a_misspelt_key_at_any_level_names_the_closest_known_one(
    shipped, typo, suggested
):
    raw = _changed(shipped, typo, 1)
    assert f"{typo}: unknown parameter (did you mean {suggested}?)" in _problems(raw)


def test_an_unknown_key_without_a_close_match_lists_the_known_ones(shipped):
    message = _problems(_changed(shipped, "export.colour", "blue"))
    assert "export.colour: unknown parameter (known here: features_file, keep_last" in (
        message
    )


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (
            "validation.max_quarantine_share",
            1.5,
            "validation.max_quarantine_share = 1.5: Input should be less than or "
            "equal to 1",
        ),
        (
            "validation.min_date",
            "03/01/2009",
            "validation.min_date = '03/01/2009': must be a date written YYYY-MM-DD",
        ),
        (
            "feature_engineering.mode",
            "fast",
            "feature_engineering.mode = 'fast': Input should be 'incremental' or 'full'",
        ),
        (
            "feature_engineering.volatility_windows",
            [1, 5],
            "feature_engineering.volatility_windows.0 = 1: Input should be greater "
            "than or equal to 2",
        ),
        (
            "training.horizon",
            0,
            "training.horizon = 0: Input should be greater than or equal to 1",
        ),
        (
            "training.models.classifier_log.task",
            "ranking",
            "training.models.classifier_log.task = 'ranking': Input should be "
            "'regression' or 'classification'",
        ),
        (
            "export.keep_last",
            0,
            "export.keep_last = 0: Input should be greater than or equal to 1",
        ),
        ("export.require_beats_baseline", "yes", "export.require_beats_baseline"),
        ("sample_data.days", 0, "sample_data.days = 0"),
        ("features_layout", "folder", "features_layout = 'folder'"),
    ],
)
def test_a_bad_value_names_its_full_path_the_value_and_what_is_allowed(
    shipped, path, value, expected
):
    assert expected in _problems(_changed(shipped, path, value))


def test_every_problem_is_listed_at_once(shipped):
    raw = _changed(shipped, "training.horizon", 0)
    raw = _changed(raw, "validaton", {})
    message = _problems(raw)
    assert message.startswith("2 invalid parameters:")
    assert "training.horizon = 0" in message
    assert "validaton: unknown parameter (did you mean validation?)" in message


def test_each_params_entry_gets_the_parsed_object_at_its_path(shipped):
    parsed = parse_parameters(shipped)
    assert parameter_at(parsed, "params:training") is parsed.training
    spec = parameter_at(parsed, "params:training.models.regressor_rf")
    assert isinstance(spec, ModelSpec)
    assert spec.name == "regressor_rf"
    assert parameter_at(parsed, "params:training.horizon") == parsed.training.horizon
    assert (
        parameter_at(parsed, "params:validation.max_abs_value")
        == shipped["validation"]["max_abs_value"]
    )


def test_a_run_whose_models_differ_from_the_pipeline_is_refused(shipped):
    from criptos.pipelines.training.pipeline import per_model  # noqa: PLC0415

    training = parse_parameters(shipped).training
    pipeline = per_model(("regressor_lin", "classifier_log"))
    with pytest.raises(ParameterError, match="declare or remove a model"):
        check_trained_models(training, pipeline)
    check_trained_models(training, per_model(training.model_names))


def test_a_run_that_trains_checks_every_estimator(shipped):
    raw = _changed(
        shipped, "training.models.regressor_gbr.estimator", "sklearn.ensemble.Nope"
    )
    training = parse_parameters(raw).training  # the class is imported at run start
    with pytest.raises(InputError, match="regressor_gbr.estimator"):
        check_trained_models(training, Pipeline([]))


def test_a_kedro_session_hands_nodes_the_parsed_objects():
    bootstrap_project(PROJECT_ROOT)
    with KedroSession.create(project_path=PROJECT_ROOT) as session:
        catalog = session.load_context().catalog
        assert isinstance(catalog.load("params:training"), TrainingParams)
        assert isinstance(
            catalog.load("params:feature_engineering"), FeatureEngineeringParams
        )
        assert isinstance(catalog.load("params:validation"), ValidationParams)
        model = catalog.load("params:training.models.classifier_rf")
        assert isinstance(model, ModelSpec)
        assert model.name == "classifier_rf"


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            "backtest.cost_bps",
            -1,
            "backtest.cost_bps = -1: Input should be greater than or equal to 0",
        ),
        ("backtest.execution_lag_days", -1, "backtest.execution_lag_days = -1"),
        ("backtest.threshold", "up", "backtest.threshold = 'up'"),
        ("backtest.threshold", float("nan"), "backtest.threshold = nan"),
        ("backtest.k", 0, "backtest.k = 0"),
        (
            "backtest.cost",
            10,
            "backtest.cost: unknown parameter (did you mean backtest.cost_bps?)",
        ),
    ],
)
def test_bad_backtest_parameters_name_the_parameter(shipped, path, value, message):
    assert message in _problems(_changed(shipped, path, value))
