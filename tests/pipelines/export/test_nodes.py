"""Export nodes: the manifest from the training reports, the publish policy."""

from __future__ import annotations

import logging

import pytest

from criptos.model_bundle import REQUIRED_MANIFEST_FIELDS, is_version
from criptos.pipelines.export.nodes import ExportError, export_models
from tests.pipelines.export.small_models import (
    FEATURES,
    fit_small_models,
    training_metrics,
    training_summary,
)

EXPORT = {
    "require_beats_baseline": False,
    "keep_last": None,
    "features_file": "f.parquet",
}


def test_manifest_says_everything_a_consumer_needs(small_models):
    bundle = export_models(
        training_summary(small_models), training_metrics(), EXPORT, **small_models
    )
    manifest = bundle.manifest

    assert set(REQUIRED_MANIFEST_FIELDS) <= set(manifest)
    assert is_version(manifest["version"])
    assert manifest["created_at"].endswith("Z")
    assert manifest["horizon_days"] == 1
    assert bundle.feature_columns == list(FEATURES)
    assert manifest["feature_columns"][0] == {"name": "fechamento", "dtype": "float64"}
    assert manifest["training"] == {
        "rows": 200,
        "assets": ["BTC", "ETH"],
        "start": "2021-01-01",
        "end": "2021-04-10",
    }
    assert manifest["models"]["regressor_rf"] == {
        "task": "regression",
        "target": "retorno_alvo",
        "estimator": "sklearn.ensemble._forest.RandomForestRegressor",
    }
    metrics = training_metrics()["models"]["classifier_log"]
    assert manifest["metrics"]["classifier_log"] == {
        "task": "classification",
        "cv": metrics["cv"],
        "verdict": metrics["verdict"],
        "holdout_verdict": metrics["holdout"]["verdict"],
        "beats_baseline": True,
    }
    assert manifest["features_file"] == "f.parquet"
    assert set(manifest["versions"]) == {
        "python",
        "scikit-learn",
        "pandas",
        "numpy",
        "joblib",
    }
    assert bundle.policy.move_latest


def test_require_beats_baseline_holds_latest_back(small_models, caplog):
    export = {**EXPORT, "require_beats_baseline": True, "keep_last": 3}
    bundle = export_models(
        training_summary(small_models),
        training_metrics(beats=False),
        export,
        **small_models,
    )
    assert not bundle.policy.move_latest
    assert bundle.policy.keep_last == 3
    assert "do(es) not beat" in bundle.policy.reason


def test_losers_are_published_with_a_warning_by_default(small_models, caplog):
    with caplog.at_level(logging.WARNING):
        bundle = export_models(
            training_summary(small_models),
            training_metrics(beats=False),
            EXPORT,
            **small_models,
        )
    assert bundle.policy.move_latest
    assert "do(es) not beat the baseline" in caplog.text


def test_models_fitted_on_other_columns_are_refused(small_models):
    summary = training_summary(small_models)
    summary["feature_columns"] = summary["feature_columns"][::-1]
    with pytest.raises(ExportError, match="different runs"):
        export_models(summary, training_metrics(), EXPORT, **small_models)


def test_metrics_without_a_tested_verdict_are_refused(small_models):
    metrics = training_metrics()
    del metrics["models"]["regressor_rf"]["verdict"]
    with pytest.raises(ExportError, match=r"no tested verdict.*regressor_rf"):
        export_models(training_summary(small_models), metrics, EXPORT, **small_models)


def test_a_model_without_metrics_is_refused(small_models):
    metrics = training_metrics()
    del metrics["models"]["regressor_gbr"]
    with pytest.raises(ExportError, match="regressor_gbr"):
        export_models(training_summary(small_models), metrics, EXPORT, **small_models)


def test_a_model_missing_from_the_summary_is_refused():
    models = fit_small_models()
    summary = training_summary(models)
    del summary["models"]["classifier_rf"]
    with pytest.raises(ExportError, match="classifier_rf"):
        export_models(summary, training_metrics(), EXPORT, **models)
