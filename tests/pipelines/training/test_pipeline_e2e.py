"""``kedro run --pipelines feature_engineering,training`` on the real data, as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest

from criptos.config.models import configured_model_names
from tests.kedro_project import KedroProject

MODEL_NAMES = configured_model_names()

pytestmark = pytest.mark.e2e
REAL_ASSETS = ["BNB", "BTC", "DOGE", "ETH", "XEM", "XLM", "XRP"]


def _versions(dataset_dir: Path) -> list[Path]:
    """The versioned files of one Kedro-versioned dataset, oldest first."""
    return sorted(dataset_dir.glob(f"*/{dataset_dir.name}"))


PRICE_COLUMNS = ["maximo", "minimo", "abertura", "fechamento"]
REDENOMINATION = 1024.0


def _train(project: KedroProject) -> str:
    run = project.kedro("run", "--pipelines", "feature_engineering,training")
    assert run.returncode == 0, run.stderr[-5000:] + run.stdout[-5000:]
    return run.stdout + run.stderr


@pytest.fixture(scope="module")
def trained_project(tmp_path_factory, real_raw_csv):
    """The real data trained twice; also returns the first run's log and predictions."""
    project = KedroProject.create(tmp_path_factory.mktemp("training") / "project")
    project.use_raw_file(real_raw_csv)
    log = _train(project)
    predictions = project.path("reporting") / "training_predictions.parquet"
    first_predictions = predictions.read_bytes()
    second = project.kedro("run", "--pipelines", "training")
    assert second.returncode == 0, second.stderr[-5000:] + second.stdout[-5000:]
    return project, log, first_predictions


@pytest.fixture(scope="module")
def redenominated_project(tmp_path_factory, real_raw_csv):
    """The real data with BTC's prices and traded value multiplied by 1,024.

    A power of two, so that the scaling itself is exact in binary floating point: with
    1,000 the rolling sums differ in the 11th digit and the tree ensembles' tied splits
    (equal partitions reached through different inputs) break the other way on a few
    percent of forecasts. Any input that still carried the scale would show here as
    it would with 1,000 (tests/modeling/test_scale_free.py checks that it can fail).
    """
    project = KedroProject.create(tmp_path_factory.mktemp("redenominated") / "project")
    raw = pd.read_csv(real_raw_csv, sep="|", dtype={"ativo": str})
    btc = raw["ativo"] == "BTC"
    raw.loc[btc, [*PRICE_COLUMNS, "volumeto"]] *= REDENOMINATION
    scaled = project.root / "raw_btc_redenominated.csv"
    raw.to_csv(scaled, sep="|", index=False)
    project.use_raw_file(scaled)
    _train(project)
    return project


def test_the_five_models_are_saved_as_versioned_joblib_files_that_predict(
    trained_project,
):
    project, _, _ = trained_project
    features = pd.read_parquet(
        project.path("features") / "cripto_features_latest.parquet"
    )
    summary_file = _versions(project.path("reporting") / "training_summary.json")[-1]
    summary = json.loads(summary_file.read_text())
    run_version = summary_file.parent.name
    for name in MODEL_NAMES:
        versions = _versions(project.path("models") / f"{name}.joblib")
        assert len(versions) == 2, versions
        assert versions[-1].parent.name == run_version
        model = joblib.load(versions[-1])
        assert list(model.feature_names_in_) == [
            c["name"] for c in summary["feature_columns"]
        ]
        predictions = model.predict(features)
        assert len(predictions) == len(features)
        if summary["models"][name]["task"] == "regression":
            assert np.isfinite(predictions).all()
            # A daily log-return forecast, not a price level.
            assert np.abs(predictions).max() < 1.0


def _latest_metrics(project: KedroProject) -> dict:
    return json.loads(
        _versions(project.path("reporting") / "metrics.json")[-1].read_text()
    )


def test_metrics_describe_data_folds_holdout_and_tested_verdicts(trained_project):
    project, _, _ = trained_project
    metrics = _latest_metrics(project)
    assert metrics["data"]["assets"] == REAL_ASSETS
    assert metrics["data"]["rows"] == 17_061 - len(REAL_ASSETS)
    assert (metrics["data"]["date_start"], metrics["data"]["date_end"]) == (
        "2013-04-29",
        "2021-07-05",
    )
    assert len(metrics["folds"]) == 5
    for fold in metrics["folds"]:
        assert fold["first_train_end"] < fold["test_start"]
        assert fold["refits"] >= 15  # every 30 days over a ~470-day block
    assert metrics["holdout"]["test_start"] == "2021-01-07"  # the last 180 days
    assert metrics["folds"][-1]["test_end"] < metrics["holdout"]["test_start"]
    assert sorted(metrics["models"]) == sorted(MODEL_NAMES)
    for name, entry in metrics["models"].items():
        oos = entry["out_of_sample"]
        if entry["task"] == "regression":
            # Daily crypto direction is close to a coin flip; far above it would mean
            # the future leaked into the features or labels.
            assert 0.45 < oos["directional_accuracy"] < 0.6, (name, oos)
            assert -0.1 < oos["r2_oos"] < 0.1, (name, oos)
        else:
            assert 0.45 < oos["accuracy"] < 0.6, (name, oos)
            assert 0.5 < oos["roc_auc"] < 0.6, (name, oos)
        for verdict in (entry["verdict"], entry["holdout"]["verdict"]):
            assert verdict["p_value"] <= verdict["p_value_adjusted"] <= 1.0
            assert isinstance(verdict["beats_baseline"], bool)
            assert verdict["beats_baseline"] == (
                verdict["p_value_adjusted"] < 0.05
                and verdict["model_loss"] < verdict["baseline_loss"]
            )
        assert sorted(entry["by_asset"]) == REAL_ASSETS
        assert len(entry["feature_importance"]) == 20
    summary = json.loads(
        _versions(project.path("reporting") / "training_summary.json")[-1].read_text()
    )
    assert summary["training_data"]["rows"] == metrics["data"]["rows"]
    assert summary["horizon"] == metrics["params"]["horizon"] == 1
    for name in MODEL_NAMES:
        assert summary["models"][name]["verdict"] == metrics["models"][name]["verdict"]


def test_a_second_run_gives_byte_identical_metrics_and_predictions(trained_project):
    project, _, first_predictions = trained_project
    first, second = _versions(project.path("reporting") / "metrics.json")
    assert first.parent.name != second.parent.name
    assert first.read_bytes() == second.read_bytes()
    predictions = project.path("reporting") / "training_predictions.parquet"
    assert predictions.read_bytes() == first_predictions


def test_progress_and_verdicts_are_logged_per_model(trained_project):
    _, log, _ = trained_project
    for name in MODEL_NAMES:
        assert f"{name}: 81 fits over 5 folds and the hold-out" in log
        assert f"{name}: final fit on" in log
        assert f"{name} walk-forward:" in log and f"{name} hold-out:" in log


def test_a_redenominated_coin_changes_no_forecast_and_no_metric(
    trained_project, redenominated_project
):
    project, _, _ = trained_project
    reporting = "training_predictions.parquet"
    original = pd.read_parquet(project.path("reporting") / reporting)
    scaled = pd.read_parquet(redenominated_project.path("reporting") / reporting)
    btc = (original["ativo"] == "BTC").to_numpy()
    np.testing.assert_array_equal(
        scaled.loc[btc, "fechamento"], REDENOMINATION * original.loc[btc, "fechamento"]
    )
    pd.testing.assert_frame_equal(
        scaled.drop(columns="fechamento"),
        original.drop(columns="fechamento"),
        check_exact=True,
    )
    assert (
        _versions(redenominated_project.path("reporting") / "metrics.json")[
            -1
        ].read_bytes()
        == _versions(project.path("reporting") / "metrics.json")[0].read_bytes()
    )


def test_a_bad_training_parameter_stops_the_run_naming_it(trained_project):
    project, _, _ = trained_project
    result = project.kedro(
        "run", "--pipelines", "training", "--params", "training.gap=0"
    )
    assert result.returncode != 0
    assert (
        "training.gap must be at least training.horizon"
        in result.stdout + result.stderr
    )
