"""The feature store's interface: writing either layout atomically, publishing a
stored table as another (the dated features as the latest), refusing what it cannot
write."""

from __future__ import annotations

import os
from pathlib import Path

import fsspec
import pandas as pd
import pyarrow as pa
import pytest

from criptos.feature_store import FeatureTableStore, TableLocation, content_of
from criptos.feature_store.location import FileTable
from criptos.feature_store.parts import PartsTable
from criptos.features import FeatureParams
from criptos.features.table import FeatureTable
from criptos.validation import validate_candles

PARAMS = FeatureParams()
LOCAL = fsspec.filesystem("file")


@pytest.fixture(scope="module")
def candles(real_raw_frame: pd.DataFrame) -> pd.DataFrame:
    return validate_candles(real_raw_frame, max_quarantine_share=0.05).candles


def _store(path: Path, layout: str = "file", **kwargs) -> FeatureTableStore:
    return FeatureTableStore(TableLocation(str(path), LOCAL), layout=layout, **kwargs)


def _features(candles: pd.DataFrame) -> FeatureTable:
    return FeatureTable(candles, PARAMS, rows_per_batch=3_000)


def test_publishing_a_file_links_it_byte_for_byte(candles, tmp_path: Path):
    dated, latest = tmp_path / "dated.parquet", tmp_path / "latest.parquet"
    _store(dated).write(content_of(_features(candles)))
    _store(latest).write(content_of(_features(candles.head(100))))  # an older latest

    _store(latest).publish(TableLocation(str(dated), LOCAL))

    assert latest.samefile(dated)
    assert sorted(os.listdir(tmp_path)) == ["dated.parquet", "latest.parquet"]
    assert isinstance(_store(latest).open(), FileTable)


def test_publishing_a_folder_links_every_file(candles, tmp_path: Path):
    dated, latest = tmp_path / "dated.parquet", tmp_path / "latest.parquet"
    _store(dated, "parts").write(content_of(_features(candles)))
    _store(latest).write(content_of(_features(candles.head(100))))  # a file before

    _store(latest, "parts").publish(TableLocation(str(dated), LOCAL))

    assert sorted(os.listdir(latest)) == sorted(os.listdir(dated))
    assert all((latest / name).samefile(dated / name) for name in os.listdir(dated))
    assert isinstance(_store(latest, "parts").open(), PartsTable)
    assert _store(latest, "parts").read().equals(_store(dated, "parts").read())


def test_switching_layouts_replaces_the_table_in_place(candles, tmp_path: Path):
    path = tmp_path / "latest.parquet"
    _store(path).write(content_of(_features(candles)))
    as_file = _store(path).read()

    _store(path, "parts").write(content_of(_features(candles)))
    assert path.is_dir()
    assert _store(path, "parts").read().equals(as_file)

    _store(path).write(content_of(_features(candles)))
    assert path.is_file()
    assert _store(path).read().equals(as_file)
    assert os.listdir(tmp_path) == ["latest.parquet"]


@pytest.mark.parametrize("layout", ["file", "parts"])
def test_leftovers_of_a_killed_write_go_at_the_next_write_but_fresh_ones_stay(
    tmp_path: Path, candles: pd.DataFrame, layout: str
):
    target = tmp_path / "cripto_features_latest.parquet"
    stale_file = tmp_path / f".{target.name}.{'a' * 32}.tmp"
    stale_folder = tmp_path / f".{target.name}.{'b' * 32}.old"
    fresh = tmp_path / f".{target.name}.{'c' * 32}.tmp"  # a concurrent writer's
    unrelated = tmp_path / f".other.parquet.{'d' * 32}.tmp"
    stale_file.write_bytes(b"half a parquet file")
    stale_folder.mkdir()
    (stale_folder / "part-00000.parquet").write_bytes(b"old")
    fresh.write_bytes(b"in flight")
    unrelated.write_bytes(b"not ours")
    an_hour_ago = os.path.getmtime(fresh) - 3600
    for path in (stale_file, stale_folder, unrelated):
        os.utime(path, (an_hour_ago, an_hour_ago))

    _store(target, layout).write(content_of(_features(candles.head(500))))
    assert not stale_file.exists() and not stale_folder.exists()
    assert fresh.exists() and unrelated.exists()
    assert len(pd.read_parquet(target)) == 500


def test_a_frame_is_written_by_pandas_atomically(candles, tmp_path: Path):
    path = tmp_path / "frame.parquet"
    frame = _features(candles.head(300)).to_pandas()
    _store(path).write_frame(frame, {"index": False})
    pd.testing.assert_frame_equal(pd.read_parquet(path), frame)
    assert os.listdir(tmp_path) == ["frame.parquet"]


def test_what_the_store_cannot_keep_is_refused(tmp_path: Path):
    with pytest.raises(ValueError, match="layout must be one of file, parts"):
        _store(tmp_path / "x.parquet", "delta")
    with pytest.raises(ValueError, match="max_delta_parts must be >= 0"):
        _store(tmp_path / "x.parquet", "parts", max_delta_parts=-1)
    with pytest.raises(TypeError, match="cannot write a Table"):
        content_of(pa.table({"ativo": ["BTC"]}))
    assert _store(tmp_path / "x.parquet").open() is None
    assert TableLocation(str(tmp_path / "x.parquet"), LOCAL).metadata() == {}
