"""The candle history in the bucket: a daily append run keeps the whole history."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from criptos.features import FeatureParams
from criptos.features.table import FeatureTable
from criptos.validation import validate_candles
from tests.kedro_project import KedroProject
from tests.s3.helpers import output_tail, prepare_bucket, run_s3
from tests.s3_server import SeaweedS3

pytestmark = pytest.mark.e2e

LAST_DAY = "2021-07-06"


def _table(server: SeaweedS3, bucket: str, key: str) -> pa.Table:
    body = server.client().get_object(Bucket=bucket, Key=key)["Body"].read()
    return pq.read_table(io.BytesIO(body)).replace_schema_metadata(None)


def _append_run(project: KedroProject, server: SeaweedS3, bucket: str):
    return run_s3(
        project,
        server,
        "--pipelines",
        "feature_engineering",
        bucket=bucket,
        params="feature_engineering.ingest=append",
    )


def test_daily_append_on_the_bucket_keeps_the_whole_history(
    seaweedfs: SeaweedS3, tmp_path: Path, real_raw_frame: pd.DataFrame
):
    bucket = "history-daily"
    project = KedroProject.create(tmp_path / "project")
    raw = real_raw_frame.drop(columns="linha_malformada")
    history_file, day_file = tmp_path / "history.csv", tmp_path / "day.csv"
    raw[raw["data"] < LAST_DAY].to_csv(history_file, sep="|", index=False)
    raw[raw["data"] == LAST_DAY].to_csv(day_file, sep="|", index=False)

    prepare_bucket(seaweedfs, bucket, history_file)
    first = run_s3(
        project, seaweedfs, "--pipelines", "feature_engineering", bucket=bucket
    )
    assert first.returncode == 0, output_tail(first)
    seaweedfs.client().upload_file(str(day_file), bucket, "raw/raw.csv")
    daily = _append_run(project, seaweedfs, bucket)
    assert daily.returncode == 0, output_tail(daily)
    assert "7 feature rows computed (mode incremental)" in daily.stdout + daily.stderr

    candles = validate_candles(real_raw_frame, max_quarantine_share=0.05).candles
    history = _table(seaweedfs, bucket, "primary/candles.parquet")
    expected = pa.Table.from_pandas(candles, preserve_index=False)
    assert history.equals(expected.cast(history.schema))
    full = pa.concat_tables(list(FeatureTable(candles, FeatureParams()).iter_tables()))
    latest = _table(seaweedfs, bucket, "features/cripto_features_latest.parquet")
    assert latest.equals(full.replace_schema_metadata(None))


def test_append_to_a_bucket_without_history_stops_and_writes_nothing(
    seaweedfs: SeaweedS3, tmp_path: Path, real_raw_csv: Path
):
    bucket = "history-missing"
    project = KedroProject.create(tmp_path / "project")
    prepare_bucket(seaweedfs, bucket, real_raw_csv)
    result = _append_run(project, seaweedfs, bucket)
    assert result.returncode == 2, output_tail(result)
    assert f"s3://{bucket}/primary/candles.parquet does not exist" in result.stderr
    # Only the validation report of this attempt is there: no history, no features.
    keys = seaweedfs.list_keys(bucket)
    assert not [key for key in keys if key.startswith(("primary/", "features/"))]
