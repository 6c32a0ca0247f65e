"""The scenarios of a durable candle history, through `kedro run` as a user runs it.

Each checks the rows and values of the history, the dated and the latest features
against a full recompute of the history the ingest semantics promise.
"""

from __future__ import annotations

import json
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
from tests.raw_files import GOOD_ROWS, HEADER, write_raw

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


ALMOST_RIGHT_ROWS = (
    "BTC|2021-01-04|1609718400|109|100|102|104|5|520",
    "btc |2021-01-04|1609718400|109|100|102|104|5|520",  # the same candle, other case
    "ETH|2021-01-03|1609632000|11|10|10.5|10.8|70|756",
    "XRP|1500-07-06|-14686617600|2|1|1.5|1.6|1|1",  # wrapped to 2085 before
    "XRP|2500-07-06|16737292800|2|1|1.5|1.6|1|1",  # wrapped to 1915 before
    "XRP|2201-07-06|7287552000|2|1|1.5|1.6|1|1",  # a year typo
    "ETH|2021-01-05|1609804800|1e308|9.5|10|11|100|1100",  # training died on it
    "ETH|2021-01-06|1609891200|12|9.5|10|11|100|11",  # cut: the file ends here
)


@pytest.mark.parametrize("ingest", ["snapshot", "append"])
def test_almost_right_rows_are_quarantined_with_their_reason(
    kedro_project: KedroProject, ingest: str
):
    raw = kedro_project.path("raw") / "raw.csv"
    write_raw(raw, GOOD_ROWS)
    run(kedro_project, "run_date=20210110")
    raw.write_text("\n".join([HEADER, *ALMOST_RIGHT_ROWS]))  # no final line break
    output = run(
        kedro_project,
        "run_date=20210110",
        f"feature_engineering.ingest={ingest}",
        "validation.max_quarantine_share=1",
    )

    quarantine = pd.read_csv(
        kedro_project.path("intermediate") / "raw_quarantine.csv", sep="|", dtype=str
    )
    assert dict(zip(quarantine["data"], quarantine["motivo"], strict=True)) == {
        "1500-07-06": "data_fora_do_intervalo",
        "2500-07-06": "data_fora_do_intervalo",
        "2201-07-06": "data_fora_do_intervalo",
        "2021-01-05": "valor_fora_do_intervalo",
        "2021-01-06": "linha_incompleta",
    }
    report = json.loads(
        (kedro_project.path("reporting") / "validation_report.json").read_text()
    )
    assert report["exact_duplicates_removed"] == 1  # btc collapsed into BTC
    assert report["unterminated_last_line"] is True

    new = [
        ("BTC", "2021-01-04", 109, 100, 102, 104, 5, 520),
        ("ETH", "2021-01-03", 11, 10, 10.5, 10.8, 70, 756),
    ]
    stored = [tuple(row.split("|")) for row in GOOD_ROWS] if ingest == "append" else []
    expected = _candles([*(_row(r) for r in stored), *new])
    assert_history_is(kedro_project, expected)
    assert features(kedro_project, "latest").equals(full_recompute(expected))
    days = history(kedro_project)["data"]
    assert days.min() >= pd.Timestamp("2021-01-01") and days.max() <= pd.Timestamp(
        "2021-01-04"
    )
    assert (
        "7 raw rows quarantined" not in output
    )  # 5: the duplicate is not a quarantine
    assert "5 raw rows quarantined" in summary_line(output)


def _row(fields: tuple[str, ...]) -> tuple:
    asset, day, _, high, low, opened, close, volume_from, volume_to = fields
    return (asset, day, high, low, opened, close, volume_from, volume_to)


def _candles(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows,
        columns=[
            "ativo", "data", "maximo", "minimo", "abertura", "fechamento",
            "volumefrom", "volumeto",
        ],
    )  # fmt: skip
    frame["data"] = pd.to_datetime(frame["data"]).astype("datetime64[ns]")
    frame["ativo"] = frame["ativo"].astype("str")
    columns = ["ativo", "data", "abertura", "maximo", "minimo", "fechamento"]
    frame = frame[[*columns, "volumefrom", "volumeto"]]
    numbers = frame.columns[2:]
    frame[numbers] = frame[numbers].astype("float64")
    return frame.sort_values(["ativo", "data"], ignore_index=True)


@pytest.mark.parametrize("ingest", ["snapshot", "append"])
def test_a_header_with_a_repeated_column_stops_and_keeps_everything(
    kedro_project: KedroProject, ingest: str
):
    raw = kedro_project.path("raw") / "raw.csv"
    write_raw(raw, GOOD_ROWS)
    run(kedro_project, "run_date=20210110")
    stored = {
        path: path.read_bytes()
        for key in ("primary", "features")
        for path in kedro_project.path(key).rglob("*")
        if path.is_file()
    }
    write_raw(raw, [row + "|99" for row in GOOD_ROWS], header=HEADER + "|Fechamento ")
    result = kedro_project.kedro(
        "run", "--pipelines", "feature_engineering",
        "--params", f"run_date=20210111,feature_engineering.ingest={ingest}",
    )  # fmt: skip
    assert result.returncode == 2
    assert "fechamento" in result.stderr and "Traceback" not in result.stderr
    assert {path: path.read_bytes() for path in stored} == stored
    assert not (
        kedro_project.path("features") / "cripto_features_20210111.parquet"
    ).exists()


@pytest.mark.parametrize("ingest", ["snapshot", "append"])
def test_a_quoted_header_is_read(kedro_project: KedroProject, ingest: str):
    raw = kedro_project.path("raw") / "raw.csv"
    write_raw(raw, GOOD_ROWS[:2])
    run(kedro_project, "run_date=20210110")
    quoted = "|".join(f'"{name}"' for name in HEADER.split("|"))
    write_raw(raw, GOOD_ROWS[2:], header=quoted)
    run(kedro_project, "run_date=20210110", f"feature_engineering.ingest={ingest}")
    rows = GOOD_ROWS if ingest == "append" else GOOD_ROWS[2:]
    expected = _candles([_row(tuple(row.split("|"))) for row in rows])
    assert_history_is(kedro_project, expected)
    assert features(kedro_project, "latest").equals(full_recompute(expected))


def test_append_without_a_history_stops_naming_the_rebuild(
    kedro_project: KedroProject,
):
    write_raw(kedro_project.path("raw") / "raw.csv", GOOD_ROWS)
    result = kedro_project.kedro(
        "run", "--pipelines", "feature_engineering",
        "--params", "run_date=20210110,feature_engineering.ingest=append",
    )  # fmt: skip
    assert result.returncode == 2
    assert "candles.parquet does not exist" in result.stderr
    assert "feature_engineering.ingest=snapshot" in result.stderr
    assert not list(kedro_project.path("features").iterdir())
