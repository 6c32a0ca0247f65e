"""``criptos predict``: the API's answer in a terminal, run as a user runs it."""

from __future__ import annotations

import json
import subprocess
from datetime import date

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from criptos.api import create_app
from criptos.api.predict_command import format_table
from criptos.api.predictions import build_state
from tests.api.conftest import ApiProject, BundleFactory, wait_ready
from tests.api.test_caveats import METRICS
from tests.kedro_project import run_criptos

pytestmark = pytest.mark.e2e


def criptos_predict(project: ApiProject, *args: str) -> subprocess.CompletedProcess:
    """``criptos predict <args>`` on ``project``'s configuration."""
    return run_criptos(
        "predict", *args, "--conf-source", str(project.project.conf), timeout=300
    )


def test_json_is_the_body_of_get_predict(published_project: ApiProject) -> None:
    done = criptos_predict(published_project, "btc", "--json")
    assert done.returncode == 0, done.stderr
    with TestClient(create_app(published_project.settings())) as client:
        wait_ready(client)
        served = client.get("/predict", params={"ativo": "BTC"})
    assert done.stdout == served.text + "\n"
    assert json.loads(done.stdout)["ativo"] == "BTC"


def test_the_table_names_each_model_its_forecast_and_verdict(
    published_project: ApiProject,
) -> None:
    done = criptos_predict(published_project, "ETH")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("ETH as of 2021-07-06 (")
    assert "model version 20260101T000000Z" in lines[0]
    rows = {
        line.split()[0]: line for line in lines if line.startswith(("regr", "clas"))
    }
    assert set(rows) == {
        "regressor_lin",
        "regressor_gbr",
        "regressor_rf",
        "classifier_log",
        "classifier_rf",
    }
    assert "log return" in rows["regressor_lin"] and "(close " in rows["regressor_lin"]
    assert "P(up) 0." in rows["classifier_rf"]
    assert all("does not beat baseline" in row for row in rows.values())
    assert "recommended" not in done.stdout  # none passed its test


def test_an_unknown_asset_is_the_api_message_and_status_2(
    published_project: ApiProject,
) -> None:
    done = criptos_predict(published_project, "BTX")
    assert done.returncode == 2 and done.stdout == ""
    assert (
        done.stderr.strip()
        .splitlines()[-1]
        .startswith(
            "criptos: error: unknown asset: BTX (did you mean BTC?); known assets: BNB"
        )
    )


def test_without_a_published_version_it_says_so(api_project: ApiProject) -> None:
    done = criptos_predict(api_project, "BTC")
    assert done.returncode == 3
    assert done.stderr.strip().endswith(
        "no model version could be loaded (no model version is published yet "
        "(run the export pipeline))"
    )


def test_the_table_shows_the_recommended_model_and_hold_out_sharpe(
    real_features: pd.DataFrame, make_bundle: BundleFactory
) -> None:
    state = build_state(make_bundle("20260101T000000Z", metrics=METRICS), real_features)
    table = format_table(state.answer("BTC", date(2021, 7, 10)))
    rows = {line.split()[0]: line for line in table.splitlines() if "_" in line[:12]}
    assert "(4 day(s) old, STALE)" in table.splitlines()[0]
    assert rows["regressor_gbr"].endswith("recommended")
    assert "beats baseline (adjusted p 0.0300)" in rows["regressor_gbr"]
    assert "hold-out net Sharpe 1.24" in rows["classifier_rf"]
    assert "recommended" not in rows["regressor_lin"]
