"""Export nodes: the manifest from the training reports, the publish policy."""

from __future__ import annotations

import json
import logging

import pytest

from criptos.config.schema import ParameterError
from criptos.contracts.model_bundle import REQUIRED_MANIFEST_FIELDS, is_version
from criptos.datasets.training_run import TrainingRunError
from criptos.pipelines.export.nodes import ExportError, export_models
from tests.pipelines.export.small_models import (
    BACKTEST_FILE,
    FEATURES,
    RUN,
    fit_small_models,
    training_metrics,
    training_run_dataset,
    training_seal,
    training_summary,
    write_training_run,
)

EXPORT = {
    "require_beats_baseline": False,
    "keep_last": None,
    "features_file": "f.parquet",
}


def _export(root, models, export=EXPORT, **documents):
    """``export_models`` on one run written under ``root`` with ``documents``."""
    write_training_run(root, models, **documents)
    return export_models(
        training_run_dataset(root).load(),
        training_seal(models),
        export,
    )


def test_manifest_says_everything_a_consumer_needs(small_models, tmp_path):
    bundle = _export(tmp_path, small_models)
    manifest = bundle.manifest
    assert manifest["training_run"] == RUN

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


def test_require_beats_baseline_holds_latest_back(small_models, tmp_path):
    export = {**EXPORT, "require_beats_baseline": True, "keep_last": 3}
    bundle = _export(
        tmp_path, small_models, export, training_metrics=training_metrics(beats=False)
    )
    assert not bundle.policy.move_latest
    assert bundle.policy.keep_last == 3
    assert "do(es) not beat" in bundle.policy.reason


def test_losers_are_published_with_a_warning_by_default(small_models, tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        bundle = _export(
            tmp_path, small_models, training_metrics=training_metrics(beats=False)
        )
    assert bundle.policy.move_latest
    assert "do(es) not beat the baseline" in caplog.text


def test_models_fitted_on_other_columns_are_refused(small_models, tmp_path):
    summary = training_summary(small_models)
    summary["feature_columns"] = summary["feature_columns"][::-1]
    with pytest.raises(ExportError, match="different runs"):
        _export(tmp_path, small_models, training_summary=summary)


def test_metrics_without_a_tested_verdict_are_refused(small_models, tmp_path):
    metrics = training_metrics()
    del metrics["models"]["regressor_rf"]["verdict"]
    with pytest.raises(ExportError, match=r"no tested verdict.*regressor_rf"):
        _export(tmp_path, small_models, training_metrics=metrics)


def test_a_model_without_metrics_is_refused(small_models, tmp_path):
    metrics = training_metrics()
    del metrics["models"]["regressor_gbr"]
    with pytest.raises(ExportError, match="regressor_gbr"):
        _export(tmp_path, small_models, training_metrics=metrics)


def test_a_model_missing_from_the_summary_is_refused(tmp_path):
    models = fit_small_models()
    summary = training_summary(models)
    del summary["models"]["classifier_rf"]
    with pytest.raises(ExportError, match="classifier_rf"):
        _export(tmp_path, models, training_summary=summary)


def test_a_run_whose_artifacts_disagree_is_refused(small_models, tmp_path):
    summary = {**training_summary(small_models), "horizon": 3}
    with pytest.raises(ExportError, match=r"disagree.*summary: horizon 3"):
        _export(tmp_path, small_models, training_summary=summary)


def test_an_incomplete_newer_run_is_skipped_for_the_newest_complete_one(
    small_models, tmp_path, caplog
):
    newer = "2026-11-28T10.00.00.000Z"
    write_training_run(tmp_path, small_models)
    # A newer run killed after one model: its classifier_log must not be published.
    write_training_run(
        tmp_path,
        fit_small_models(),
        run=newer,
        skip=("training_run_seal", "training_metrics", "training_summary"),
    )
    runs = training_run_dataset(tmp_path).load()
    assert runs.complete == [RUN] and newer in runs.incomplete
    with caplog.at_level(logging.WARNING):
        bundle = export_models(runs, training_seal(small_models), EXPORT)
    assert bundle.manifest["training_run"] == RUN
    assert f"Training run {newer} is incomplete" in caplog.text
    with pytest.raises(TrainingRunError, match=rf"{newer}.*incomplete.*missing"):
        export_models(
            runs,
            training_seal(small_models),
            {**EXPORT, "run": newer},
        )


def test_without_a_complete_run_nothing_is_exported(small_models, tmp_path):
    write_training_run(tmp_path, small_models, skip=("training_run_seal",))
    with pytest.raises(TrainingRunError, match="no complete training run"):
        export_models(
            training_run_dataset(tmp_path).load(),
            training_seal(small_models),
            EXPORT,
        )


@pytest.mark.parametrize(
    ("export", "named"),
    [
        ({"keep_last": 1.5}, "export.keep_last"),
        ({"keep_last": "2"}, "export.keep_last"),
        ({"keep_last": 0}, "export.keep_last"),
        ({"require_beats_baseline": "yes"}, "export.require_beats_baseline"),
        ({"run": 20261127}, "export.run"),
    ],
)
def test_bad_export_parameters_are_named(small_models, tmp_path, export, named):
    with pytest.raises(ParameterError, match=named):
        _export(tmp_path, small_models, {**EXPORT, **export})


def test_the_runs_backtest_puts_each_hold_out_sharpe_beside_its_verdict(
    small_models, tmp_path
):
    sharpes = {name: 0.5 + index for index, name in enumerate(sorted(small_models))}
    report = {
        "params": {"execution_lag_days": 1, "cost_bps": 10.0, "threshold": 0.0, "k": 2},
        "strategies": {
            "long_flat": {
                name: {"holdout": {"net": {"sharpe": sharpe}}}
                for name, sharpe in sharpes.items()
            }
        },
        "benchmarks": {"buy_and_hold": {"sharpe": 1.9, "holdout": {"sharpe": 2.5}}},
    }
    target = tmp_path / BACKTEST_FILE / RUN / "backtest.json"
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps(report))
    manifest = _export(tmp_path, small_models).manifest
    for name, sharpe in sharpes.items():
        assert manifest["metrics"][name]["holdout_net_sharpe"] == sharpe
    assert manifest["backtest"] == {
        "strategy": "long_flat",
        **report["params"],
        "buy_and_hold_holdout_net_sharpe": 2.5,
    }


def test_a_run_without_a_backtest_is_complete_and_says_nothing_of_trading(
    small_models, tmp_path, caplog
):
    with caplog.at_level(logging.INFO):
        manifest = _export(tmp_path, small_models).manifest
    assert "backtest" not in manifest
    assert all("holdout_net_sharpe" not in m for m in manifest["metrics"].values())
    assert f"Training run {RUN} has no backtest" in caplog.text
