"""The scenarios of a durable candle history, through `kedro run` as a user runs it.

Each checks the rows and values of the history, the dated and the latest features
against a full recompute of the history the ingest semantics promise.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from criptos.features import FeatureParams
from criptos.features.table import FeatureTable
from criptos.validation import validate_candles
from tests.kedro_project import KedroProject

pytestmark = pytest.mark.e2e

REAL_LAST_DAY = "2021-07-06"


@pytest.fixture(scope="module")
def real_candles(real_raw_frame: pd.DataFrame) -> pd.DataFrame:
    return validate_candles(real_raw_frame, max_quarantine_share=0.05).candles


def run(project: KedroProject, *params: str) -> str:
    result = project.kedro(
        "run", "--pipelines", "feature_engineering", "--params", ",".join(params)
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    return output


def features(project: KedroProject, name: str) -> pa.Table:
    path = project.path("features") / f"cripto_features_{name}.parquet"
    return pq.read_table(path).replace_schema_metadata(None)


def history(project: KedroProject) -> pd.DataFrame:
    return pd.read_parquet(project.path("primary") / "candles.parquet")


def full_recompute(candles: pd.DataFrame, **params) -> pa.Table:
    table = FeatureTable(candles, FeatureParams(**params))
    return pa.concat_tables(list(table.iter_tables())).replace_schema_metadata(None)


def summary_line(output: str) -> str:
    (line,) = re.findall(r"Feature run: .*", output)
    return line


def assert_history_is(project: KedroProject, candles: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        history(project), candles.reset_index(drop=True), check_dtype=False
    )


@pytest.fixture
def after_synthetic_sample(kedro_project: KedroProject) -> KedroProject:
    """A project that ran once on the synthetic sample (5 assets, 2021-01-01 + 1096 days)."""
    seeded = kedro_project.kedro(
        "run", "--pipelines", "sample_data", "--params", "sample_data.source=synthetic"
    )
    assert seeded.returncode == 0, seeded.stderr[-3000:]
    run(kedro_project, "run_date=20240102")
    assert sorted(history(kedro_project)["ativo"].unique()) == [
        "ADA",
        "BTC",
        "DOGE",
        "ETH",
        "SOL",
    ]
    return kedro_project


def test_own_file_replaces_the_sample_in_snapshot_mode(
    after_synthetic_sample: KedroProject, real_raw_csv: Path, real_candles: pd.DataFrame
):
    project = after_synthetic_sample
    shutil.copyfile(real_raw_csv, project.path("raw") / "raw.csv")
    output = run(project, "run_date=20240103")

    assert_history_is(project, real_candles)
    assert features(project, "latest").equals(full_recompute(real_candles))
    assert features(project, "20240103").equals(features(project, "latest"))
    btc = history(project).query("ativo == 'BTC'").set_index("data")["fechamento"]
    assert btc.index.max() == pd.Timestamp(REAL_LAST_DAY)  # no synthetic tail
    assert btc.loc["2017-12-16"] == pytest.approx(19_497.40)
    assert re.search(r"WARNING.*dropped 2 asset\(s\) .*: ADA, SOL", output)
    assert re.search(r"WARNING.*dropped \d+ stored day\(s\) .*BTC \(\d+ days\)", output)
    line = summary_line(output)
    assert "5 assets/5480 days -> 7 assets/17061 days" in line
    assert "ingest=snapshot" in line and "mode full" in line


def test_own_file_joins_the_sample_in_append_mode(
    after_synthetic_sample: KedroProject, real_raw_csv: Path, real_candles: pd.DataFrame
):
    """append keeps what is stored and lets the new file win on the same days."""
    project = after_synthetic_sample
    before = history(project)
    shutil.copyfile(real_raw_csv, project.path("raw") / "raw.csv")
    output = run(project, "run_date=20240103", "feature_engineering.ingest=append")

    keys = ["ativo", "data"]
    kept = before.merge(real_candles[keys], on=keys, how="left", indicator=True)
    expected = pd.concat(
        [before[kept["_merge"].eq("left_only").to_numpy()], real_candles]
    ).sort_values(keys, ignore_index=True)
    assert_history_is(project, expected)
    assert sorted(expected["ativo"].unique()) == [
        "ADA",
        "BNB",
        "BTC",
        "DOGE",
        "ETH",
        "SOL",
        "XEM",
        "XLM",
        "XRP",
    ]
    assert features(project, "latest").equals(full_recompute(expected))
    assert "ingest=append" in summary_line(output)
    assert "dropped" not in output.replace("-0 dropped", "")


@pytest.fixture
def before_the_last_day(
    kedro_project: KedroProject, real_raw_frame: pd.DataFrame
) -> KedroProject:
    """A project whose history ends the day before the real file's last day; raw.csv
    now holds only that last day (a daily feed's file)."""
    raw = real_raw_frame.drop(columns="linha_malformada")
    path = kedro_project.path("raw") / "raw.csv"
    raw[raw["data"] < REAL_LAST_DAY].to_csv(path, sep="|", index=False)
    run(kedro_project, "run_date=20210705")
    raw[raw["data"] == REAL_LAST_DAY].to_csv(path, sep="|", index=False)
    return kedro_project


@pytest.mark.parametrize(
    ("fallback", "params"),
    [
        ("changed parameter", {"rsi_window": 10}),
        ("deleted latest", {}),
        ("foreign latest", {}),
    ],
)
def test_a_fallback_to_a_full_recompute_keeps_the_whole_history(
    before_the_last_day: KedroProject, real_candles: pd.DataFrame, fallback, params
):
    project = before_the_last_day
    latest = project.path("features") / "cripto_features_latest.parquet"
    if fallback == "deleted latest":
        latest.unlink()
    elif fallback == "foreign latest":
        pd.DataFrame({"ativo": ["BTC"], "fechamento": [1.0]}).to_parquet(latest)
    overrides = [f"feature_engineering.{key}={value}" for key, value in params.items()]
    output = run(
        project, "run_date=20210706", "feature_engineering.ingest=append", *overrides
    )

    assert_history_is(project, real_candles)
    expected = full_recompute(real_candles, **params)
    assert expected.num_rows == 17_061
    assert features(project, "latest").equals(expected)
    assert features(project, "20210706").equals(expected)
    assert "17054 days -> 7 assets/17061 days (+7 new" in summary_line(output)


def test_the_daily_run_continues_the_features_in_append_mode(
    before_the_last_day: KedroProject, real_candles: pd.DataFrame
):
    output = run(
        before_the_last_day, "run_date=20210706", "feature_engineering.ingest=append"
    )
    assert features(before_the_last_day, "latest").equals(full_recompute(real_candles))
    assert "7 feature rows computed (mode incremental)" in summary_line(output)


def test_a_one_day_snapshot_is_the_whole_history_and_says_what_it_dropped(
    before_the_last_day: KedroProject, real_candles: pd.DataFrame
):
    """snapshot means what it says: the file is the history (and the log says so)."""
    output = run(before_the_last_day, "run_date=20210706")
    last_day = real_candles[real_candles["data"] == REAL_LAST_DAY]
    assert_history_is(before_the_last_day, last_day)
    assert features(before_the_last_day, "latest").equals(full_recompute(last_day))
    assert re.search(
        r"WARNING.*dropped 17054 stored day\(s\) absent from the raw file", output
    )
    assert "-> 7 assets/7 days (+7 new, ~0 corrected, -17054 dropped" in summary_line(
        output
    )
