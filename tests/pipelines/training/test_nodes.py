"""Training nodes on a small synthetic market: models, reports, reproducibility."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from criptos.config.models import configured_model_names
from criptos.modeling.columns import select_feature_columns
from criptos.modeling.labels import DIRECTION_TARGET, RETURN_TARGET
from criptos.modeling.params import TrainingParamsError
from criptos.modeling.report import rounded
from criptos.pipelines.training.nodes import (
    collect_feature_importance,
    collect_predictions,
    evaluate_training_model,
    fit_training_model,
    plan_walk_forward,
    prepare_training_table,
    report_training_metrics,
    summarize_training,
)
from tests.pipelines.training.synthetic import (
    ar1_returns,
    fast_training_params,
    features_from_returns,
)

MODEL_NAMES = configured_model_names()

STRING_COLUMNS = ["ativo", "candle_direcao", "fechamento_categoria", "volume_categoria"]


@pytest.fixture(scope="module")
def params():
    return fast_training_params(n_splits=3, holdout_days=60)


@pytest.fixture(scope="module")
def features():
    return features_from_returns(ar1_returns(400, 3, seed=7), seed=7)


@pytest.fixture(scope="module")
def table(features, params):
    return prepare_training_table(features, params)


def _evaluations(features, params) -> tuple[list[dict], dict]:
    table = prepare_training_table(features, params)
    plan = plan_walk_forward(table, params)
    evaluations = [
        evaluate_training_model(table, plan, params, model=name) for name in MODEL_NAMES
    ]
    return evaluations, report_training_metrics(table, plan, params, *evaluations)


@pytest.fixture(scope="module")
def evaluated(features, params):
    return _evaluations(features, params)


@pytest.fixture(scope="module")
def metrics(evaluated):
    return evaluated[1]


def test_feature_columns_are_every_column_but_date_and_labels_in_table_order(table):
    columns = select_feature_columns(table, ("data",))
    expected = [
        c for c in table.columns if c not in ("data", RETURN_TARGET, DIRECTION_TARGET)
    ]
    assert list(columns.names) == expected
    assert columns.names[0] == "ativo" and "fechamento" in columns.names
    assert sorted(columns.categorical) == sorted(STRING_COLUMNS)
    assert [c["dtype"] for c in columns.describe()][:2] == ["str", "float64"]
    with pytest.raises(ValueError, match="excluded_columns"):
        select_feature_columns(table, ("no_such_column",))


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_a_fitted_model_predicts_from_the_raw_feature_table(
    features, table, params, name
):
    model = fit_training_model(table, params, model=name)
    # The whole feature table: extra columns (data), unlabelled last rows, missing values.
    unseen_asset = features.tail(3).assign(ativo=pd.array(["ZZZ"] * 3, dtype="str"))
    frame = pd.concat([features, unseen_asset], ignore_index=True)
    predictions = model.predict(frame)
    assert len(predictions) == len(frame)
    if name.startswith("regressor"):
        assert np.isfinite(predictions).all()
    else:
        assert set(np.unique(predictions)) <= {False, True}
        assert np.allclose(model.predict_proba(frame).sum(axis=1), 1.0)
    assert list(model.feature_names_in_) == list(
        select_feature_columns(table, ("data",)).names
    )


def test_preprocessing_is_learned_from_the_training_rows_only(table, params):
    first_half = table.iloc[: len(table) // 2]
    model = fit_training_model(first_half, params, model="regressor_lin")
    numeric = model.named_steps["preprocess"].named_transformers_["numeric"]
    imputer_medians = numeric.named_steps["impute"].statistics_
    seen = model.named_steps["scale_free"].transform(first_half)
    numeric_inputs = model.named_steps["preprocess"].transformers_[0][2]
    np.testing.assert_allclose(
        imputer_medians, seen[numeric_inputs].median().to_numpy()
    )
    assert "fechamento" not in numeric_inputs and "abertura_mm_20_rel" in numeric_inputs
    encoder = model.named_steps["preprocess"].named_transformers_["categorical"]
    assets_seen = encoder.named_steps["one_hot"].categories_[0]
    assert list(assets_seen) == sorted(first_half["ativo"].unique())


def test_metrics_report_has_the_contract_structure(metrics, table, params):
    assert set(metrics) == {"models", "folds", "holdout", "data", "params"}
    assert list(metrics["models"]) == list(MODEL_NAMES)
    assert len(metrics["folds"]) == params["n_splits"]
    assert metrics["data"]["rows"] == len(table)
    assert metrics["data"]["assets"] == ["A00", "A01", "A02"]
    walk_forward_rows = sum(f["test_rows"] for f in metrics["folds"])
    verdict_keys = {
        "metric", "baseline", "model_loss", "baseline_loss", "difference",
        "statistic", "p_value", "p_value_adjusted", "beats_baseline",
    }  # fmt: skip
    for name, entry in metrics["models"].items():
        task = entry["task"]
        assert task == (
            "regression" if name.startswith("regressor") else "classification"
        )
        baselines = {"regression": ["train_mean", "zero"], "classification": ["prior"]}
        assert sorted(entry["baselines"]) == baselines[task]
        assert len(entry["cv_by_fold"]) == params["n_splits"]
        for metric, mean in entry["cv"].items():
            values = [f[metric] for f in entry["cv_by_fold"] if f[metric] is not None]
            if values:
                assert mean == pytest.approx(np.mean(values), rel=1e-5), metric
        for baseline in entry["baselines"].values():
            assert len(baseline["cv_by_fold"]) == params["n_splits"]
        assert verdict_keys <= set(entry["verdict"])
        assert verdict_keys <= set(entry["holdout"]["verdict"])
        assert entry["verdict"]["baseline"] in entry["baselines"]
        assert entry["out_of_sample"]["rows"] == walk_forward_rows
        assert entry["holdout"]["rows"] == metrics["holdout"]["test_rows"]
        assert sorted(entry["by_asset"]) == ["A00", "A01", "A02"]
        assert sum(a["rows"] for a in entry["by_asset"].values()) == walk_forward_rows
        assert 0 < len(entry["feature_importance"]) <= 20
        assert sorted(entry["feature_importance_by_asset"]) == ["A00", "A01", "A02"]


def test_baselines_are_zero_the_training_mean_and_the_training_share_of_up(
    evaluated, table, params
):
    evaluations, _ = evaluated
    plan = plan_walk_forward(table, params)
    by_name = {evaluation["name"]: evaluation for evaluation in evaluations}
    regression = by_name["regressor_lin"]["predictions"]
    classification = by_name["classifier_log"]["predictions"]
    windows = [w for fold in plan.folds for w in fold.windows] + [plan.holdout]
    for window in windows:
        train = table.iloc[window.train_rows]
        test_keys = table.iloc[window.test_rows][["ativo", "data"]]
        reg = regression.merge(test_keys, on=["ativo", "data"])
        cls = classification.merge(test_keys, on=["ativo", "data"])
        assert len(reg) == len(cls) == len(test_keys)
        assert (reg["baseline_zero"] == 0.0).all()
        np.testing.assert_allclose(
            reg["baseline_train_mean"], train[RETURN_TARGET].mean()
        )
        np.testing.assert_allclose(
            cls["baseline_prior"], train[DIRECTION_TARGET].mean()
        )


def test_predictions_and_importance_are_collected_for_every_model(evaluated, metrics):
    evaluations, _ = evaluated
    predictions = collect_predictions(*evaluations)
    assert list(predictions.columns[:6]) == [
        "model", "task", "sample", "fold", "ativo", "data"
    ]  # fmt: skip
    assert set(predictions["model"]) == set(MODEL_NAMES)
    assert set(predictions["sample"]) == {"walk_forward", "holdout"}
    importance = collect_feature_importance(*evaluations)
    assert set(importance["model"]) == set(MODEL_NAMES)
    for name in MODEL_NAMES:
        pooled = importance[
            (importance["model"] == name) & (importance["scope"] == "pooled")
        ]
        top = metrics["models"][name]["feature_importance"][0]
        assert top["name"] == pooled.iloc[0]["feature"]
        assert "fechamento" not in set(pooled["feature"])


def test_same_data_and_parameters_give_byte_identical_metrics_and_predictions(
    features, params, evaluated
):
    evaluations, metrics = evaluated
    again_evaluations, again = _evaluations(features, params)
    first = json.dumps(metrics, sort_keys=True, indent=2).encode()
    assert json.dumps(again, sort_keys=True, indent=2).encode() == first
    assert b"NaN" not in first and b"Infinity" not in first
    pd.testing.assert_frame_equal(
        collect_predictions(*evaluations), collect_predictions(*again_evaluations)
    )


def test_the_number_of_workers_changes_no_forecast(features, params, evaluated):
    one_worker = fast_training_params(**{**params, "n_jobs": 1})
    evaluations, _ = evaluated
    table = prepare_training_table(features, one_worker)
    plan = plan_walk_forward(table, one_worker)
    serial = evaluate_training_model(table, plan, one_worker, model="regressor_rf")
    parallel = next(e for e in evaluations if e["name"] == "regressor_rf")
    pd.testing.assert_frame_equal(serial["predictions"], parallel["predictions"])
    pd.testing.assert_frame_equal(
        serial["feature_importance"], parallel["feature_importance"]
    )


def test_without_a_holdout_there_is_no_holdout_verdict_and_no_importance(features):
    params = fast_training_params(n_splits=3, holdout_days=0)
    names = ("regressor_lin", "classifier_log")
    table = prepare_training_table(features, params)
    plan = plan_walk_forward(table, params)
    evaluations = [
        evaluate_training_model(table, plan, params, model=name) for name in names
    ]
    metrics = report_training_metrics(table, plan, params, *evaluations)
    assert metrics["holdout"] is None
    for name in names:
        assert metrics["models"][name]["holdout"] is None
        assert metrics["models"][name]["feature_importance"] == []
        assert isinstance(metrics["models"][name]["verdict"]["beats_baseline"], bool)
    assert set(collect_predictions(*evaluations)["sample"]) == {"walk_forward"}
    assert collect_feature_importance(*evaluations).empty


def test_training_summary_describes_what_the_export_needs(table, params, metrics):
    summary = summarize_training(table, params, metrics)
    assert summary["horizon"] == 1
    assert [c["name"] for c in summary["feature_columns"]] == list(
        select_feature_columns(table, ("data",)).names
    )
    assert summary["training_data"]["rows"] == len(table)
    assert summary["training_data"]["date_end"] == table["data"].max().strftime(
        "%Y-%m-%d"
    )
    models = summary["models"]
    assert list(models) == list(MODEL_NAMES)
    assert (
        models["regressor_gbr"]["estimator"]
        == "sklearn.ensemble.HistGradientBoostingRegressor"
    )
    assert models["classifier_log"]["target"] == DIRECTION_TARGET
    assert (
        models["regressor_rf"]["estimator_kwargs"]["random_state"]
        == params["random_seed"]
    )
    for name in MODEL_NAMES:
        assert models[name]["verdict"] == metrics["models"][name]["verdict"]
        assert (
            models[name]["holdout_verdict"]
            == metrics["models"][name]["holdout"]["verdict"]
        )
    assert "fechamento" not in summary["model_inputs"]
    json.dumps(summary)


def test_rounding_is_json_safe():
    assert rounded(
        {"a": np.float64(1 / 3), "b": [np.nan, np.int64(2), np.bool_(True)]}
    ) == {
        "a": 0.333333,
        "b": [None, 2, True],
    }


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"horizon": 100_000}, r"training.horizon \(100000 days\) is longer.*399 days"),
        ({"horizon": 50_000}, r"training.horizon \(50000 days\)"),
        ({"holdout_days": 395}, r"walk-forward on \d+ labelled dates.*holdout_days"),
    ],
)
def test_a_plan_the_data_cannot_hold_stops_before_any_fit(features, overrides, message):
    params = fast_training_params(**overrides)
    with pytest.raises(TrainingParamsError, match=message):
        plan_walk_forward(prepare_training_table(features, params), params)


def test_a_one_day_feature_table_is_refused_by_name(features):
    one_day = features[features["data"] == features["data"].min()]
    with pytest.raises(TrainingParamsError, match="longest asset history"):
        prepare_training_table(one_day, fast_training_params())
