"""The ``parts`` feature layout on a real S3 server: append a delta, copy, compact."""

from __future__ import annotations

import fsspec
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from criptos.datasets import AtomicParquetDataset
from criptos.feature_store import TableLocation
from criptos.features import FeatureParams
from criptos.features.incremental import IncrementalFeatureTable
from criptos.features.table import FeatureTable
from criptos.validation import validate_candles
from tests.s3_server import SeaweedS3

BUCKET = "feature-parts"
PARAMS = FeatureParams()


@pytest.fixture(scope="module")
def credentials(seaweedfs: SeaweedS3) -> dict:
    seaweedfs.create_bucket(BUCKET)
    return {
        "key": seaweedfs.access_key,
        "secret": seaweedfs.secret_key,
        "client_kwargs": {"endpoint_url": seaweedfs.endpoint},
    }


def test_daily_delta_then_compaction_on_s3(
    seaweedfs: SeaweedS3, credentials: dict, real_raw_frame: pd.DataFrame
):
    candles = validate_candles(real_raw_frame, max_quarantine_share=0.05).candles
    last_day = np.sort(candles["data"].unique())[-1]

    def dataset(name: str, **kwargs) -> AtomicParquetDataset:
        return AtomicParquetDataset(
            filepath=f"s3://{BUCKET}/features/{name}.parquet",
            credentials=credentials,
            layout="parts",
            **kwargs,
        )

    def previous():
        return TableLocation(
            f"s3://{BUCKET}/features/latest.parquet",
            fsspec.filesystem("s3", **credentials),
        ).open()

    first = FeatureTable(
        candles[candles["data"] < last_day], PARAMS, rows_per_batch=3_000
    )
    dataset("d1").save(first)
    dataset("latest").save(first)
    history = sorted(seaweedfs.list_keys(BUCKET, "features/latest.parquet/"))
    assert len(history) > 1

    daily = IncrementalFeatureTable(
        candles[candles["data"] == last_day], previous(), PARAMS
    )
    dataset("d2").save(daily)
    dataset("latest").save(daily)
    assert sorted(seaweedfs.list_keys(BUCKET, "features/latest.parquet/")) == sorted(
        [*history, "features/latest.parquet/delta-00001.parquet"]
    )
    full = FeatureTable(candles, PARAMS).to_pandas()
    expected = pa.Table.from_pandas(full, preserve_index=False).to_pandas()
    pd.testing.assert_frame_equal(dataset("latest").load(), expected)
    pd.testing.assert_frame_equal(dataset("d2").load(), expected)

    again = IncrementalFeatureTable(
        candles[candles["data"] == last_day], previous(), PARAMS
    )
    dataset("latest", max_delta_parts=0).save(again)  # compaction: stale keys removed
    keys = seaweedfs.list_keys(BUCKET, "features/latest.parquet/")
    assert keys and not any("delta-" in key for key in keys)
    pd.testing.assert_frame_equal(dataset("latest").load(), expected)
