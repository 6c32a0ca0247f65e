"""A failed or killed training run is never published next to an older run's artifacts.

Kedro saves each output when its node finishes, so a training run that fails or is
killed midway leaves some of its artifacts under its save version and not others.
``kedro run --pipelines export`` must then publish the newest *complete* run whole.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from kedro.io import DataCatalog

from criptos.config.loader import ProjectConfigLoader
from criptos.datasets import ModelRegistryDataset
from criptos.settings import CONFIG_LOADER_ARGS
from tests.kedro_project import KEDRO, PROJECT_ROOT, KedroProject, cli_environment
from tests.pipelines.export.small_models import feature_frame, fit_small_models
from tests.pipelines.export.test_export_cli import save_training_outputs

pytestmark = pytest.mark.e2e


def _latest(project: KedroProject) -> dict:
    latest = project.path("model_registry") / "latest"
    return json.loads((latest / "manifest.json").read_text())


def _export(project: KedroProject) -> subprocess.CompletedProcess:
    result = project.kedro("run", "--pipelines", "export")
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def _run_of(project: KedroProject, name: str) -> str:
    (version,) = (project.path("models") / f"{name}.joblib").iterdir()
    return version.name


def test_a_run_that_failed_after_one_model_is_not_mixed_into_the_export(
    kedro_project: KedroProject, small_models
):
    save_training_outputs(kedro_project, small_models, beats=True)
    complete_run = _run_of(kedro_project, "classifier_log")
    time.sleep(0.01)  # a later save version
    loader = ProjectConfigLoader(
        str(kedro_project.conf),
        env="local",
        runtime_params={"run_date": "20261127"},
        **CONFIG_LOADER_ARGS,
    )
    # What a run that raised after fitting classifier_log leaves behind.
    other = fit_small_models(feature_frame(seed=5))["classifier_log"]
    DataCatalog.from_config(loader["catalog"]).save("classifier_log_model", other)

    result = _export(kedro_project)
    manifest = _latest(kedro_project)
    assert manifest["training_run"] == complete_run
    published = ModelRegistryDataset(
        path=str(kedro_project.path("model_registry"))
    ).load()
    rows = feature_frame(seed=9)
    np.testing.assert_array_equal(
        published.models["classifier_log"].predict_proba(rows),
        small_models["classifier_log"].predict_proba(rows),
    )
    assert not np.array_equal(
        other.predict_proba(rows), small_models["classifier_log"].predict_proba(rows)
    )
    assert "is incomplete" in " ".join((result.stdout + result.stderr).split())


def test_a_killed_training_run_leaves_the_previous_complete_run_exportable(
    tmp_path: Path, real_raw_csv: Path
):
    project = KedroProject.create(tmp_path / "project")
    project.use_raw_file(real_raw_csv)
    fast = "training.retrain_every_days=400,training.importance_repeats=1"
    first = project.kedro(
        "run", "--pipelines", "feature_engineering,training,export", "--params", fast
    )
    assert first.returncode == 0, first.stderr[-3000:]
    before = _latest(project)
    models = project.path("models")
    runs_before = {p.name for p in (models / "classifier_log.joblib").iterdir()}

    # A horizon-3 run, killed (SIGKILL) as soon as it has saved its first model.
    killed = subprocess.Popen(
        [
            *KEDRO,
            "run",
            "--pipelines",
            "training",
            "--params",
            f"{fast},training.horizon=3",
            "--conf-source",
            str(project.conf),
        ],
        cwd=PROJECT_ROOT,
        env=cli_environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline and killed.poll() is None:
            runs = {path.parent.name for path in models.glob("*.joblib/*/*.joblib")}
            if runs - runs_before:
                break
            time.sleep(0.05)
        assert killed.poll() is None, "the training run ended before it could be killed"
        os.killpg(killed.pid, signal.SIGKILL)
    finally:
        killed.wait(timeout=60)

    _export(project)
    after = _latest(project)
    assert after["version"] != before["version"]
    assert after["training_run"] == before["training_run"]
    assert after["horizon_days"] == 1
    registry = ModelRegistryDataset(path=str(project.path("model_registry")))
    old, new = (registry.load_version(m["version"]) for m in (before, after))
    features = pd.read_parquet(
        project.path("features") / "cripto_features_latest.parquet"
    )
    for name, model in old.models.items():  # the same fitted models
        np.testing.assert_array_equal(
            new.models[name].predict(features), model.predict(features)
        )
