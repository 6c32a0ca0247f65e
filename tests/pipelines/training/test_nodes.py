"""Training nodes on a small synthetic market: models, reports, reproducibility."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from criptos.modeling.columns import select_feature_columns
from criptos.modeling.labels import DIRECTION_TARGET, RETURN_TARGET
from criptos.modeling.params import MODEL_NAMES
from criptos.modeling.report import beats_baseline, rounded
from criptos.pipelines.training.nodes import (
    evaluate_training_model,
    fit_training_model,
    prepare_training_table,
    report_training_metrics,
    split_walk_forward,
    summarize_training,
)
from tests.pipelines.training.synthetic import (
    ar1_returns,
    fast_training_params,
    features_from_returns,
)

STRING_COLUMNS = ["ativo", "candle_direcao", "fechamento_categoria", "volume_categoria"]


@pytest.fixture(scope="module")
def params():
    return fast_training_params(n_splits=3)


@pytest.fixture(scope="module")
def features():
    return features_from_returns(ar1_returns(400, 3, seed=7), seed=7)


@pytest.fixture(scope="module")
def table(features, params):
    return prepare_training_table(features, params)


def _metrics(features, params) -> dict:
    table = prepare_training_table(features, params)
    folds = split_walk_forward(table, params)
    evaluations = [
        evaluate_training_model(table, folds, params, model_name=name)
        for name in MODEL_NAMES
    ]
    return report_training_metrics(table, folds, params, *evaluations)


@pytest.fixture(scope="module")
def metrics(features, params):
    return _metrics(features, params)


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
    model = fit_training_model(table, params, model_name=name)
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
    model = fit_training_model(first_half, params, model_name="regressor_lin")
    numeric = model.named_steps["preprocess"].named_transformers_["numeric"]
    imputer_medians = numeric.named_steps["impute"].statistics_
    columns = select_feature_columns(table, ("data",))
    np.testing.assert_allclose(
        imputer_medians, first_half[list(columns.numeric)].median().to_numpy()
    )
    encoder = model.named_steps["preprocess"].named_transformers_["categorical"]
    assets_seen = encoder.named_steps["one_hot"].categories_[0]
    assert list(assets_seen) == sorted(first_half["ativo"].unique())


def test_metrics_report_has_the_issue_structure(metrics, table, params):
    assert set(metrics) == {"models", "folds", "data", "params"}
    assert list(metrics["models"]) == list(MODEL_NAMES)
    assert len(metrics["folds"]) == params["n_splits"]
    assert metrics["data"]["rows"] == len(table)
    assert metrics["data"]["assets"] == ["A00", "A01", "A02"]
    for name, entry in metrics["models"].items():
        task = entry["task"]
        assert task == (
            "regression" if name.startswith("regressor") else "classification"
        )
        assert (
            len(entry["cv_folds"]) == len(entry["baseline_folds"]) == params["n_splits"]
        )
        for metric, mean in entry["cv"].items():
            assert mean == pytest.approx(
                np.mean([f[metric] for f in entry["cv_folds"]]), rel=1e-5
            )
        assert isinstance(entry["beats_baseline"], bool)
        assert sorted(entry["per_asset"]) == ["A00", "A01", "A02"]
        assert sum(a["rows"] for a in entry["per_asset"].values()) == sum(
            f["test_rows"] for f in metrics["folds"]
        )


def test_baselines_are_zero_return_and_training_majority(metrics, table, params):
    folds = split_walk_forward(table, params)
    regression = metrics["models"]["regressor_lin"]["baseline_folds"]
    classification = metrics["models"]["classifier_log"]["baseline_folds"]
    for fold, reg, cls in zip(folds, regression, classification, strict=True):
        test = table.iloc[fold.test_rows]
        train_up_share = table.iloc[fold.train_rows][DIRECTION_TARGET].mean()
        realized_up = test[DIRECTION_TARGET].to_numpy()
        # Zero return: the forecast price is today's close, the direction "not up".
        assert reg["directional_accuracy"] == pytest.approx(
            1 - realized_up.mean(), abs=1e-6
        )
        error = test["fechamento"] * (np.exp(test[RETURN_TARGET]) - 1)
        assert reg["mae"] == pytest.approx(error.abs().mean(), rel=1e-5)
        majority_up = train_up_share > 0.5
        expected_accuracy = (
            realized_up.mean() if majority_up else 1 - realized_up.mean()
        )
        assert cls["accuracy"] == pytest.approx(expected_accuracy, abs=1e-6)
        assert cls["roc_auc"] == 0.5
        assert cls["brier"] == pytest.approx(
            np.mean((train_up_share - realized_up) ** 2), rel=1e-5
        )


def test_the_linear_models_beat_their_baselines_on_the_planted_signal(metrics):
    for name in ("regressor_lin", "classifier_log"):
        assert metrics["models"][name]["beats_baseline"], metrics["models"][name]


def test_same_data_and_parameters_give_byte_identical_metrics(
    features, params, metrics
):
    again = _metrics(features, params)
    first = json.dumps(metrics, sort_keys=True, indent=2).encode()
    assert json.dumps(again, sort_keys=True, indent=2).encode() == first
    assert b"NaN" not in first and b"Infinity" not in first


def test_training_summary_describes_what_the_export_needs(table, params):
    summary = summarize_training(table, params)
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
    json.dumps(summary)


def test_beats_baseline_follows_the_metric_direction_and_rounding_is_json_safe():
    assert beats_baseline({"rmse": 1.0}, {"rmse": 2.0}, "regression", "rmse")
    assert not beats_baseline({"rmse": 2.0}, {"rmse": 2.0}, "regression", "rmse")
    assert beats_baseline({"ic": 0.1}, {"ic": 0.0}, "regression", "ic")
    assert not beats_baseline(
        {"roc_auc": None}, {"roc_auc": 0.5}, "classification", "roc_auc"
    )
    assert rounded(
        {"a": np.float64(1 / 3), "b": [np.nan, np.int64(2), np.bool_(True)]}
    ) == {
        "a": 0.333333,
        "b": [None, 2, True],
    }
