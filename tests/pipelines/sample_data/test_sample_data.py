"""The sample_data pipeline: deterministic, realistic, never overwrites raw.csv."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
import yaml

from criptos.pipelines.sample_data.nodes import generate_sample_candles
from criptos.raw_contract import RAW_COLUMNS, read_raw_candles
from criptos.validation import validate_candles
from tests.kedro_project import PROJECT_ROOT, KedroProject


@pytest.fixture(scope="module")
def sample_params() -> dict:
    text = (PROJECT_ROOT / "conf" / "base" / "parameters_sample_data.yml").read_text()
    return yaml.safe_load(text)["sample_data"]


@pytest.fixture(scope="module")
def sample(sample_params: dict) -> pd.DataFrame:
    return generate_sample_candles(sample_params)


def test_sample_is_deterministic(sample: pd.DataFrame, sample_params: dict):
    pd.testing.assert_frame_equal(generate_sample_candles(sample_params), sample)


def test_sample_covers_several_assets_over_about_three_years(sample: pd.DataFrame):
    assert list(sample.columns) == list(RAW_COLUMNS)
    assert sample["ativo"].nunique() >= 4
    days = sample.groupby("ativo")["data"].nunique()
    assert (days >= 1000).all()


def test_sample_passes_validation_untouched(sample: pd.DataFrame):
    raw = read_raw_candles(io.BytesIO(sample.to_csv(sep="|", index=False).encode()))
    result = validate_candles(raw, max_quarantine_share=0.0)
    assert result.report["rows_quarantined"] == 0
    assert (result.candles["maximo"] >= result.candles[["abertura", "fechamento"]].max(axis=1)).all()
    assert (result.candles["minimo"] <= result.candles[["abertura", "fechamento"]].min(axis=1)).all()


def test_sample_has_volatility_clustering(sample: pd.DataFrame):
    """Absolute returns are autocorrelated (GARCH-like), as in real crypto markets."""
    for _, asset in sample.groupby("ativo"):
        absolute = np.abs(np.diff(np.log(asset["fechamento"].to_numpy())))
        lag_correlation = np.corrcoef(absolute[:-1], absolute[1:])[0, 1]
        assert lag_correlation > 0.05


@pytest.mark.e2e
def test_cli_writes_sample_once_and_never_overwrites(kedro_project: KedroProject):
    raw = kedro_project.path("raw") / "raw.csv"
    first = kedro_project.kedro("run", "--pipelines", "sample_data")
    assert first.returncode == 0, first.stderr
    written = raw.read_bytes()
    assert written.startswith(b"ativo|data|timestamp|maximo|minimo|abertura|fechamento|")

    raw.write_bytes(b"user data stays\n")
    second = kedro_project.kedro("run", "--pipelines", "sample_data")
    assert second.returncode == 0, second.stderr
    assert raw.read_bytes() == b"user data stays\n"
    assert "left untouched" in second.stdout + second.stderr
