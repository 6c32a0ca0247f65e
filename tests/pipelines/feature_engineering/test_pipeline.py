"""The feature_engineering pipeline: sliced in-process runs and the real CLI."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from criptos.datasets import PreviousTableDataset
from criptos.pipelines.feature_engineering.pipeline import create_pipeline
from tests.kedro_project import KedroProject
from tests.raw_files import GOOD_ROWS, HEADER, write_raw

VALIDATION = {"max_quarantine_share": 0.05}


class _KeptMemoryDataset(MemoryDataset):
    """Keeps its data after the run (the runner releases consumed intermediates)."""

    def _release(self) -> None:
        pass


def _run_in_memory(raw: pd.DataFrame) -> dict:
    catalog = DataCatalog(
        {
            "validation_report": _KeptMemoryDataset(),
            "raw_candles": MemoryDataset(raw),
            "params:validation": MemoryDataset(VALIDATION),
            "params:feature_engineering": MemoryDataset({}),
            "params:run_date": MemoryDataset("20210706"),
            "cripto_features_previous": PreviousTableDataset(
                "/nonexistent/latest.parquet"
            ),
            "candles_history_previous": PreviousTableDataset(
                "/nonexistent/candles.parquet"
            ),
        }
    )
    SequentialRunner().run(create_pipeline(), catalog)
    return {
        "cripto_features_latest": catalog.load(
            "cripto_features_latest@spark"
        ).to_pandas(),
        "validation_report": catalog.load("validation_report"),
    }


def test_pipeline_turns_raw_text_into_features(real_raw_frame: pd.DataFrame):
    outputs = _run_in_memory(real_raw_frame)
    features = outputs["cripto_features_latest"]
    assert len(features) == 17_061
    assert sorted(features["ativo"].unique()) == [
        "BNB",
        "BTC",
        "DOGE",
        "ETH",
        "XEM",
        "XLM",
        "XRP",
    ]
    btc = features[features["ativo"] == "BTC"].set_index("data")
    assert btc.loc["2017-12-16", "fechamento"] == pytest.approx(19_497.40, abs=0.01)
    assert outputs["validation_report"]["rows_valid"] == 17_061


def test_shuffled_file_gives_the_same_features(real_raw_frame: pd.DataFrame):
    shuffled = real_raw_frame.sample(frac=1.0, random_state=11).reset_index(drop=True)
    pd.testing.assert_frame_equal(
        _run_in_memory(shuffled)["cripto_features_latest"],
        _run_in_memory(real_raw_frame)["cripto_features_latest"],
        check_exact=True,
    )


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.e2e
def test_cli_run_on_real_data_writes_dated_and_latest(
    kedro_project: KedroProject, real_raw_csv: Path
):
    kedro_project.use_raw_file(real_raw_csv)
    result = kedro_project.kedro(
        "run", "--pipelines", "feature_engineering", "--params", "run_date=20210706"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    features_dir = kedro_project.path("features")
    dated = features_dir / "cripto_features_20210706.parquet"
    latest = features_dir / "cripto_features_latest.parquet"
    assert _digest(dated) == _digest(latest)
    metadata = pq.ParquetFile(latest).metadata
    assert metadata.num_rows == 17_061
    assert metadata.row_group(0).column(0).compression == "SNAPPY"
    assert (
        sorted(p.name for p in features_dir.iterdir() if p.name.startswith(".")) == []
    )
    report = json.loads(
        (kedro_project.path("reporting") / "validation_report.json").read_text()
    )
    assert report["assets"] == 7


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        ((HEADER + "\n").encode(), "empty"),
        (
            (HEADER.replace("|", ",") + "\n" + GOOD_ROWS[0].replace("|", ",")).encode(),
            "delimiter",
        ),
        (
            (
                HEADER.replace("|fechamento", "") + "\nBTC|2021-01-01|1|2|1|1|1|1\n"
            ).encode(),
            "fechamento",
        ),
        (
            (HEADER + "\n").encode() + b"BTC|2021-01-02|1|2|1|1|\xe9|1|1\n",
            "undecodable",
        ),
        (
            ("\n".join([HEADER, *GOOD_ROWS, "BTC|bad-date|1|2|1|1|1|1|1"])).encode(),
            "max_quarantine_share",
        ),
    ],
    ids=[
        "empty",
        "header-only",
        "comma",
        "missing-column",
        "latin1",
        "too-many-bad-rows",
    ],
)
def test_bad_raw_file_fails_and_keeps_previous_latest(
    kedro_project: KedroProject, content: bytes, message: str
):
    raw = kedro_project.path("raw") / "raw.csv"
    write_raw(raw, GOOD_ROWS)
    first = kedro_project.kedro(
        "run", "--pipelines", "feature_engineering", "--params", "run_date=20210103"
    )
    assert first.returncode == 0, first.stderr
    latest = kedro_project.path("features") / "cripto_features_latest.parquet"
    history = kedro_project.path("primary") / "candles.parquet"
    before = _digest(latest), _digest(history)

    raw.write_bytes(content)
    second = kedro_project.kedro(
        "run", "--pipelines", "feature_engineering", "--params", "run_date=20210104"
    )
    assert second.returncode == 2
    assert message in second.stderr
    assert (_digest(latest), _digest(history)) == before
    assert not (
        kedro_project.path("features") / "cripto_features_20210104.parquet"
    ).exists()


@pytest.mark.e2e
def test_malformed_run_date_is_refused(kedro_project: KedroProject):
    write_raw(kedro_project.path("raw") / "raw.csv", GOOD_ROWS)
    result = kedro_project.kedro(
        "run", "--pipelines", "feature_engineering", "--params", "run_date=2021-13-01"
    )
    assert result.returncode != 0
    assert "run_date" in result.stdout + result.stderr
    assert not list(kedro_project.path("features").glob("*.parquet"))


@pytest.mark.e2e
def test_quarantined_rows_are_written_with_their_reason(kedro_project: KedroProject):
    bad = "BTC|2021-01-04|1609718400|1|2|1.5|1.6|1|1"
    write_raw(kedro_project.path("raw") / "raw.csv", [*GOOD_ROWS, bad])
    result = kedro_project.kedro(
        "run",
        "--pipelines",
        "feature_engineering",
        "--params",
        "validation.max_quarantine_share=0.5",
    )
    assert result.returncode == 0, result.stderr
    quarantine = pd.read_csv(
        kedro_project.path("intermediate") / "raw_quarantine.csv", sep="|", dtype=str
    )
    assert quarantine["motivo"].tolist() == ["maximo_abaixo_de_abertura_ou_fechamento"]
    assert quarantine["data"].tolist() == ["2021-01-04"]
    features = pd.read_parquet(
        kedro_project.path("features") / "cripto_features_latest.parquet"
    )
    assert len(features) == len(GOOD_ROWS)
