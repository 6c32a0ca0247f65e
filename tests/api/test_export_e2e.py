"""The service on a real export: ``kedro run`` on the real data, then HTTP.

A throwaway project runs the default pipeline (features, training, export) on the
real candles; the service serves that version, and a second export (``kedro run
--pipelines export``) while clients keep asking is picked up without a single
failed request.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from criptos.api.checks import latest_rows
from criptos.datasets.model_registry import ModelRegistryDataset
from tests.api.conftest import wait_for
from tests.api.load import Hammer
from tests.api.server import ApiServer, get_json
from tests.kedro_project import PROJECT_ROOT, KedroProject

pytestmark = pytest.mark.e2e
POLL_INTERVAL = 0.5
LOAD_ALLOWANCE = 5.0


def kedro_run(project: KedroProject, *args: str) -> None:
    done = project.kedro("run", *args)
    assert done.returncode == 0, done.stderr[-4000:]


def latest_manifest(project: KedroProject) -> dict:
    return json.loads(
        (project.path("model_registry") / "latest" / "manifest.json").read_text()
    )


@pytest.fixture(scope="module")
def exported(
    tmp_path_factory: pytest.TempPathFactory, real_raw_csv: Path
) -> KedroProject:
    project = KedroProject.create(tmp_path_factory.mktemp("export") / "project")
    project.use_raw_file(real_raw_csv)
    kedro_run(project)
    return project


@pytest.fixture(scope="module")
def server(exported: KedroProject) -> Iterator[ApiServer]:
    with ApiServer(
        log_file=exported.root / "server.log",
        project_path=PROJECT_ROOT,
        conf_source=exported.conf,
        poll_interval=POLL_INTERVAL,
        cwd=exported.root,
    ) as running:
        running.wait_ready()
        yield running


def test_serves_the_exported_version(server: ApiServer, exported: KedroProject) -> None:
    manifest = latest_manifest(exported)
    assert get_json(f"{server.url}/ready")[1]["model_version"] == manifest["version"]
    features = pd.read_parquet(
        exported.path("features") / "cripto_features_latest.parquet"
    )
    rows = latest_rows(features).rows
    bundle = ModelRegistryDataset(path=str(exported.path("model_registry"))).load()
    inputs = rows[bundle.feature_columns]
    for index, code in enumerate(manifest["training"]["assets"]):
        status, body = get_json(f"{server.url}/predict?ativo={code.lower()}")
        assert status == 200 and body["model_version"] == manifest["version"]
        assert body["horizon_days"] == manifest["horizon_days"]
        row = inputs.iloc[[index]]
        assert body["predictions"]["regressor_gbr"][
            "predicted_log_return"
        ] == pytest.approx(
            float(bundle.models["regressor_gbr"].predict(row)[0]), abs=5e-7
        )
        assert body["predictions"]["classifier_log"]["probability_up"] == pytest.approx(
            float(bundle.models["classifier_log"].predict_proba(row)[0, 1]), abs=5e-5
        )
    status, models = get_json(f"{server.url}/models")
    assert models["manifest"]["version"] == manifest["version"]
    assert str(exported.root) not in json.dumps(models)


def test_the_backtest_of_the_run_reaches_the_manifest_and_the_answers(
    server: ApiServer, exported: KedroProject
) -> None:
    """kedro run backtests before exporting; the export reads that run's backtest."""
    manifest = latest_manifest(exported)
    (report_file,) = (exported.path("reporting") / "backtest.json").glob(
        f"{manifest['training_run']}/backtest.json"
    )
    long_flat = json.loads(report_file.read_text())["strategies"]["long_flat"]
    assert manifest["backtest"]["execution_lag_days"] == 1
    status, body = get_json(f"{server.url}/predict?ativo=BTC")
    assert status == 200
    for name, scores in manifest["metrics"].items():
        sharpe = long_flat[name]["holdout"]["net"]["sharpe"]
        assert isinstance(sharpe, float)
        assert scores["holdout_net_sharpe"] == sharpe
        assert body["predictions"][name]["holdout_net_sharpe"] == round(sharpe, 3)
    for plot in ("backtest_equity", "backtest_drawdown", "backtest_sharpe"):
        assert (exported.path("reporting") / "plots" / f"{plot}.png").stat().st_size > 0


def test_a_second_export_is_served_under_load(
    server: ApiServer, exported: KedroProject
) -> None:
    first = latest_manifest(exported)["version"]
    with Hammer(server.url, threads=3) as hammer:
        kedro_run(
            exported, "--pipelines", "export"
        )  # the trained models, a new version
        published = time.monotonic()
        second = latest_manifest(exported)["version"]
        assert second > first
        wait_for(
            lambda: hammer.first_seen(second),
            timeout=POLL_INTERVAL + LOAD_ALLOWANCE + 10,
        )
        time.sleep(0.3)
    hammer.check_switch(second, published, POLL_INTERVAL + LOAD_ALLOWANCE)
