"""``AtomicParquetDataset``: the Kedro adapter of the feature store (its catalog
options, what load gives, what save takes)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from kedro.io import DatasetError

from criptos.datasets import AtomicParquetDataset, PreviousTableDataset
from criptos.feature_store import TableLocation
from criptos.features import FeatureParams
from criptos.features.table import FeatureTable
from criptos.validation import validate_candles

PARAMS = FeatureParams()


@pytest.fixture(scope="module")
def candles(real_raw_frame: pd.DataFrame) -> pd.DataFrame:
    return validate_candles(real_raw_frame, max_quarantine_share=0.05).candles


def _features(candles: pd.DataFrame) -> FeatureTable:
    return FeatureTable(candles, PARAMS, rows_per_batch=3_000)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"layout": "delta"}, "layout must be one of file, parts"),
        ({"max_delta_parts": -1}, "max_delta_parts must be >= 0"),
        ({"load_as": "arrow"}, "load_as must be one of pandas, location"),
    ],
)
def test_unknown_options_are_refused(tmp_path: Path, options, message):
    with pytest.raises(DatasetError, match=message):
        AtomicParquetDataset(filepath=str(tmp_path / "x.parquet"), **options)


def test_either_layout_loads_as_the_same_frame(candles, tmp_path: Path):
    single = AtomicParquetDataset(filepath=str(tmp_path / "single.parquet"))
    folder = AtomicParquetDataset(filepath=str(tmp_path / "parts"), layout="parts")
    single.save(_features(candles))
    folder.save(_features(candles))
    pd.testing.assert_frame_equal(folder.load(), single.load())
    pd.testing.assert_frame_equal(folder.load(), pd.read_parquet(tmp_path / "parts"))


@pytest.mark.parametrize("layout", ["file", "parts"])
def test_saving_a_location_publishes_the_table_stored_there(
    candles, tmp_path: Path, layout: str
):
    """How the pipeline makes latest from dated: the dated dataset loads as its
    location, and the latest dataset's save of it links that table."""
    dated_path, latest_path = tmp_path / "dated.parquet", tmp_path / "latest.parquet"
    dated = AtomicParquetDataset(
        filepath=str(dated_path), layout=layout, load_as="location"
    )
    dated.save(_features(candles))
    location = dated.load()
    assert location == TableLocation(str(dated_path), location.filesystem)

    latest = AtomicParquetDataset(filepath=str(latest_path), layout=layout)
    latest.save(location)

    files = [""] if layout == "file" else os.listdir(dated_path)
    assert all((latest_path / name).samefile(dated_path / name) for name in files)
    pd.testing.assert_frame_equal(
        latest.load(), _features(candles).to_pandas(), check_dtype=False
    )


@pytest.mark.parametrize("layout", ["file", "parts"])
def test_a_dataframe_saves_in_either_layout(candles, tmp_path: Path, layout: str):
    frame = _features(candles.head(500)).to_pandas()
    dataset = AtomicParquetDataset(filepath=str(tmp_path / "f.parquet"), layout=layout)
    dataset.save(frame)
    pd.testing.assert_frame_equal(dataset.load(), frame)


def test_the_previous_table_loads_as_its_location_and_is_never_saved(tmp_path: Path):
    path = tmp_path / "missing.parquet"
    dataset = PreviousTableDataset(str(path))
    location = dataset.load()  # a missing table is not an error
    assert location.path == str(path) and location.open() is None
    with pytest.raises(DatasetError, match="read here as the previous table only"):
        dataset.save(pd.DataFrame({"ativo": ["BTC"]}))
