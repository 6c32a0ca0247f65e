"""``kedro run --env spark`` end to end on the real data, as a user runs it.

Every default pipeline: feature_engineering on Spark writes Parquet folders,
training reads them back through ``cripto_features_latest@pandas`` and export
publishes the sealed run, all in one CLI process.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from kedro.io import DataCatalog

from criptos.config.loader import ProjectConfigLoader
from criptos.config.models import configured_model_names
from criptos.settings import CONFIG_LOADER_ARGS
from tests.kedro_project import KedroProject
from tests.spark.local_engine import assert_same_as_local, local_features

pytestmark = [pytest.mark.spark, pytest.mark.e2e, pytest.mark.slow]

RUN_DATE = "20210706"
REAL_ASSETS = ["BNB", "BTC", "DOGE", "ETH", "XEM", "XLM", "XRP"]
MODEL_NAMES = configured_model_names()
# Fewer folds, refits and shuffles than the defaults: the same pipeline, in less time.
FAST_TRAINING = (
    "training.n_splits=2,training.retrain_every_days=1000,training.importance_repeats=1"
)


def _spark_project(root: Path) -> KedroProject:
    """A project copy whose spark environment writes under ``root`` (``--env spark``
    reads conf/spark, not conf/local, so its roots go there)."""
    project = KedroProject.create(root)
    shutil.copy(project.conf / "local" / "globals.yml", project.conf / "spark")
    return project


@pytest.fixture(scope="module")
def spark_run(tmp_path_factory, real_raw_csv: Path) -> tuple[KedroProject, str]:
    project = _spark_project(tmp_path_factory.mktemp("spark_run") / "project")
    project.use_raw_file(real_raw_csv)
    result = project.kedro(
        "run", "--env", "spark", "--params", f"run_date={RUN_DATE},{FAST_TRAINING}"
    )
    assert result.returncode == 0, result.stderr[-5000:] + result.stdout[-3000:]
    return project, result.stdout + result.stderr


def _newest(dataset_dir: Path) -> Path:
    """The newest version of a Kedro-versioned dataset."""
    return sorted(dataset_dir.glob(f"*/{dataset_dir.name}"))[-1]


def _configuration(project: KedroProject) -> ProjectConfigLoader:
    """The copy's configuration as the run saw it."""
    return ProjectConfigLoader(
        str(project.conf),
        env="spark",
        runtime_params={"run_date": RUN_DATE},
        **CONFIG_LOADER_ARGS,
    )


def test_spark_writes_the_history_and_features_as_parquet_folders(spark_run):
    project, log = spark_run
    assert "Spark session" in log
    features = project.path("features")
    for folder in (
        project.path("primary") / "candles.parquet",
        features / f"cripto_features_{RUN_DATE}.parquet",
        features / "cripto_features_latest.parquet",
    ):
        assert folder.is_dir(), folder
        assert (folder / "_SUCCESS").is_file()
        assert list(folder.glob("part-*.parquet")), folder
    assert [p.name for p in features.iterdir() if p.name.startswith(".")] == []


def test_the_pandas_features_equal_the_local_engines(spark_run, real_raw_csv: Path):
    """Read as training reads them (the catalog's @pandas entry): the same rows, in
    the same (ativo, data) order, the same values bit for bit."""
    project, _ = spark_run
    configuration = _configuration(project)
    local, _, local_report = local_features(
        real_raw_csv, RUN_DATE, configuration["parameters"]["validation"]
    )
    catalog = DataCatalog.from_config(configuration["catalog"])
    on_spark = catalog.load("cripto_features_latest@pandas")
    assert isinstance(on_spark, pd.DataFrame)
    assert_same_as_local(on_spark, local)
    report = json.loads(
        (project.path("reporting") / "validation_report.json").read_text()
    )
    assert report == json.loads(json.dumps(local_report))


def test_training_runs_on_spark_features_with_tested_verdicts(spark_run):
    project, _ = spark_run
    metrics = json.loads(
        _newest(project.path("reporting") / "metrics.json").read_text()
    )
    assert metrics["data"]["assets"] == REAL_ASSETS
    assert metrics["data"]["rows"] == 17_061 - len(REAL_ASSETS)  # last day unlabelled
    assert sorted(metrics["models"]) == sorted(MODEL_NAMES)
    for entry in metrics["models"].values():
        for verdict in (entry["verdict"], entry["holdout"]["verdict"]):
            assert isinstance(verdict["beats_baseline"], bool)
            assert 0 <= verdict["p_value"] <= verdict["p_value_adjusted"] <= 1


def test_export_publishes_the_run_as_a_version_listing_the_models(spark_run):
    project, _ = spark_run
    registry = project.path("model_registry")
    manifest = json.loads((registry / "latest" / "manifest.json").read_text())
    run = _newest(project.path("reporting") / "metrics.json").parent.name
    assert manifest["training_run"] == run
    assert sorted(manifest["models"]) == sorted(MODEL_NAMES)
    assert manifest["features_file"].endswith(f"cripto_features_{RUN_DATE}.parquet")
    version = registry / manifest["version"]
    for entry in manifest["models"].values():
        published = (version / entry["file"]).read_bytes()
        assert hashlib.sha256(published).hexdigest() == entry["sha256"]
