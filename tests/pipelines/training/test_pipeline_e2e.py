"""``kedro run --pipelines feature_engineering,training`` on the real data, as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest

from criptos.modeling.params import MODEL_NAMES
from tests.kedro_project import KedroProject

pytestmark = pytest.mark.e2e
REAL_ASSETS = ["BNB", "BTC", "DOGE", "ETH", "XEM", "XLM", "XRP"]


def _versions(dataset_dir: Path) -> list[Path]:
    """The versioned files of one Kedro-versioned dataset, oldest first."""
    return sorted(dataset_dir.glob(f"*/{dataset_dir.name}"))


@pytest.fixture(scope="module")
def trained_project(tmp_path_factory, real_raw_csv):
    project = KedroProject.create(tmp_path_factory.mktemp("training") / "project")
    project.use_raw_file(real_raw_csv)
    first = project.kedro("run", "--pipelines", "feature_engineering,training")
    assert first.returncode == 0, first.stderr[-5000:] + first.stdout[-5000:]
    second = project.kedro("run", "--pipelines", "training")
    assert second.returncode == 0, second.stderr[-5000:] + second.stdout[-5000:]
    return project, first.stdout + first.stderr


def test_the_five_models_are_saved_as_versioned_joblib_files_that_predict(
    trained_project,
):
    project, _ = trained_project
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


def test_metrics_describe_data_folds_and_every_model_next_to_its_baseline(
    trained_project,
):
    project, _ = trained_project
    metrics = json.loads(
        _versions(project.path("reporting") / "metrics.json")[-1].read_text()
    )
    assert metrics["data"]["assets"] == REAL_ASSETS
    assert metrics["data"]["rows"] == 17_061 - len(REAL_ASSETS)
    assert (metrics["data"]["date_start"], metrics["data"]["date_end"]) == (
        "2013-04-29",
        "2021-07-05",
    )
    assert len(metrics["folds"]) == 5
    for fold in metrics["folds"]:
        assert fold["train_end"] < fold["test_start"]
    assert sorted(metrics["models"]) == sorted(MODEL_NAMES)
    for name, entry in metrics["models"].items():
        direction = (
            "directional_accuracy" if entry["task"] == "regression" else "accuracy"
        )
        # Daily crypto direction is close to a coin flip: a score far above it would
        # mean the future leaked into the features or labels.
        assert 0.45 < entry["cv"][direction] < 0.6, (name, entry["cv"])
        assert 0.45 < entry["baseline"][direction] < 0.55, (name, entry["baseline"])
        assert isinstance(entry["beats_baseline"], bool)
        assert sorted(entry["per_asset"]) == REAL_ASSETS
    summary = json.loads(
        _versions(project.path("reporting") / "training_summary.json")[-1].read_text()
    )
    assert summary["training_data"]["rows"] == metrics["data"]["rows"]
    assert summary["horizon"] == metrics["params"]["horizon"] == 1


def test_a_second_run_gives_byte_identical_metrics(trained_project):
    project, _ = trained_project
    first, second = _versions(project.path("reporting") / "metrics.json")
    assert first.parent.name != second.parent.name
    assert first.read_bytes() == second.read_bytes()


def test_progress_is_logged_per_model_and_fold(trained_project):
    _, log = trained_project
    for name in MODEL_NAMES:
        assert f"{name} fold 5/5" in log
        assert f"{name}: final fit on" in log


def test_a_bad_training_parameter_stops_the_run_naming_it(trained_project):
    project, _ = trained_project
    result = project.kedro(
        "run", "--pipelines", "training", "--params", "training.gap=0"
    )
    assert result.returncode != 0
    assert (
        "training.gap must be at least training.horizon"
        in result.stdout + result.stderr
    )
