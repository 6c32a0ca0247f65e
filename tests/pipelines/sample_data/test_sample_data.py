"""The sample_data pipeline: real candles by default, synthetic on request, never overwrites.

The synthetic generator is also what the honesty controls of the training tests use
directly: deterministic and realistic.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
import yaml

from criptos.contracts.errors import InputError
from criptos.contracts.raw_file import RAW_COLUMNS, read_raw_candles
from criptos.pipelines.sample_data.nodes import (
    generate_sample_candles,
    seed_raw_candles,
)
from criptos.validation import validate_candles
from tests.kedro_project import PROJECT_ROOT, KedroProject, real_raw_bytes


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
    assert (
        result.candles["maximo"]
        >= result.candles[["abertura", "fechamento"]].max(axis=1)
    ).all()
    assert (
        result.candles["minimo"]
        <= result.candles[["abertura", "fechamento"]].min(axis=1)
    ).all()


def test_sample_has_volatility_clustering(sample: pd.DataFrame):
    """Absolute returns are autocorrelated (GARCH-like), as in real crypto markets."""
    for _, asset in sample.groupby("ativo"):
        absolute = np.abs(np.diff(np.log(asset["fechamento"].to_numpy())))
        lag_correlation = np.corrcoef(absolute[:-1], absolute[1:])[0, 1]
        assert lag_correlation > 0.05


def test_real_source_seeds_the_packaged_bytes_unchanged(sample_params: dict):
    assert sample_params["source"] == "real"  # the default
    embedded = real_raw_bytes()
    assert seed_raw_candles(embedded, sample_params) is embedded


def test_synthetic_source_seeds_the_generator_pipe_separated(
    sample_params: dict, sample: pd.DataFrame
):
    seeded = seed_raw_candles(b"unused", {**sample_params, "source": "synthetic"})
    assert seeded == sample.to_csv(sep="|", index=False).encode()


def test_unknown_source_is_an_input_error(sample_params: dict):
    with pytest.raises(
        InputError,
        match="sample_data.source = .kaggle.: Input should be .real. or .synthetic.",
    ):
        seed_raw_candles(b"", {**sample_params, "source": "kaggle"})


@pytest.mark.e2e
def test_cli_seeds_the_real_candles_once_and_never_overwrites(
    kedro_project: KedroProject,
):
    raw = kedro_project.path("raw") / "raw.csv"
    first = kedro_project.kedro("run", "--pipelines", "sample_data")
    assert first.returncode == 0, first.stderr
    assert raw.read_bytes() == real_raw_bytes()
    assert [path.name for path in raw.parent.iterdir()] == [
        "raw.csv"
    ]  # no temporary left

    raw.write_bytes(b"user data stays\n")
    second = kedro_project.kedro("run", "--pipelines", "sample_data")
    assert second.returncode == 0, second.stderr
    assert raw.read_bytes() == b"user data stays\n"
    assert "left untouched" in second.stdout + second.stderr

    synthetic = kedro_project.kedro(
        "run", "--pipelines", "sample_data", "--params", "sample_data.source=synthetic"
    )
    assert synthetic.returncode == 0, synthetic.stderr
    assert raw.read_bytes() == b"user data stays\n"


@pytest.mark.e2e
def test_cli_seeded_real_candles_run_through_feature_engineering(
    kedro_project: KedroProject,
):
    """What `make run` starts with: the real file, validated without quarantine."""
    assert kedro_project.kedro("run", "--pipelines", "sample_data").returncode == 0
    result = kedro_project.kedro("run", "--pipelines", "feature_engineering")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    features = pd.read_parquet(
        kedro_project.path("features") / "cripto_features_latest.parquet"
    )
    assert set(features["ativo"]) == {"BNB", "BTC", "DOGE", "ETH", "XEM", "XLM", "XRP"}


@pytest.mark.e2e
def test_cli_synthetic_option_writes_the_generator_sample(
    kedro_project: KedroProject, sample: pd.DataFrame
):
    raw = kedro_project.path("raw") / "raw.csv"
    result = kedro_project.kedro(
        "run", "--pipelines", "sample_data", "--params", "sample_data.source=synthetic"
    )
    assert result.returncode == 0, result.stderr
    written = raw.read_bytes()
    assert written.startswith(
        b"ativo|data|timestamp|maximo|minimo|abertura|fechamento|"
    )
    assert written == sample.to_csv(sep="|", index=False).encode()


@pytest.mark.e2e
def test_cli_unknown_source_is_status_2_and_writes_nothing(kedro_project: KedroProject):
    result = kedro_project.kedro(
        "run", "--pipelines", "sample_data", "--params", "sample_data.source=kaggle"
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "sample_data.source = 'kaggle': Input should be" in result.stderr
    assert not (kedro_project.path("raw") / "raw.csv").exists()
