"""The candle history in the parts layout on a real S3 server: a daily append writes
one delta into the stored folder itself (its files are kept, not copied onto
themselves), and the features built from it are published as latest."""

from __future__ import annotations

import pandas as pd

from criptos.datasets import AtomicParquetDataset, PreviousTableDataset
from criptos.pipelines.feature_engineering.nodes import (
    build_features,
    update_candle_history,
)
from criptos.validation import validate_candles
from tests.s3_server import SeaweedS3

BUCKET = "history-parts"


def _names(server: SeaweedS3, prefix: str) -> list[str]:
    return sorted(key.rsplit("/", 1)[1] for key in server.list_keys(BUCKET, prefix))


def test_a_daily_append_adds_one_delta_to_the_history_folder_on_s3(
    seaweedfs: SeaweedS3, real_raw_frame: pd.DataFrame
):
    seaweedfs.create_bucket(BUCKET)
    credentials = {
        "key": seaweedfs.access_key,
        "secret": seaweedfs.secret_key,
        "client_kwargs": {"endpoint_url": seaweedfs.endpoint},
    }

    def dataset(name: str, **kwargs) -> AtomicParquetDataset:
        return AtomicParquetDataset(
            filepath=f"s3://{BUCKET}/{name}",
            credentials=credentials,
            layout="parts",
            **kwargs,
        )

    candles = validate_candles(real_raw_frame, max_quarantine_share=0.05).candles
    last_day = candles["data"].max()
    stored = PreviousTableDataset(
        f"s3://{BUCKET}/primary/candles.parquet", credentials=credentials
    )
    history = dataset("primary/candles.parquet")
    before_last_day = candles[candles["data"] < last_day]
    history.save(
        update_candle_history(before_last_day, stored.load(), {"ingest": "snapshot"})
    )
    parts = _names(seaweedfs, "primary/candles.parquet/")

    day = update_candle_history(
        candles[candles["data"] == last_day], stored.load(), {"ingest": "append"}
    )
    history.save(day)

    assert _names(seaweedfs, "primary/candles.parquet/") == sorted(
        {*parts, "delta-00001.parquet"}
    )
    pd.testing.assert_frame_equal(
        history.load(), candles.reset_index(drop=True), check_dtype=False
    )
    dated = dataset("features/dated.parquet", load_as="location")
    dated.save(build_features(day, {"mode": "full"}, None))
    dataset("features/latest.parquet").save(dated.load())
    assert _names(seaweedfs, "features/latest.parquet/") == _names(
        seaweedfs, "features/dated.parquet/"
    )
    pd.testing.assert_frame_equal(
        dataset("features/latest.parquet").load(),
        dataset("features/dated.parquet").load(),
    )
