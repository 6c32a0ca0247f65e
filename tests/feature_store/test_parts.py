"""The ``parts`` layout: a folder that daily runs append to, equal to a full run."""

from __future__ import annotations

import os
from pathlib import Path

import fsspec
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from criptos.feature_store import FeatureTableStore, TableLocation, content_of
from criptos.feature_store.content import TableContent, in_order
from criptos.feature_store.parts import STATE_FILE, PartsTable
from criptos.features import FeatureParams
from criptos.features.incremental import IncrementalFeatureTable
from criptos.features.state import tail_state
from criptos.features.table import FeatureTable
from criptos.validation import validate_candles

PARAMS = FeatureParams()
ROWS_PER_BATCH = 3_000  # several parts even for the 7 real assets
LOCAL = fsspec.filesystem("file")


@pytest.fixture(scope="module")
def candles(real_raw_frame: pd.DataFrame) -> pd.DataFrame:
    return validate_candles(real_raw_frame, max_quarantine_share=0.05).candles


@pytest.fixture(scope="module")
def full_table(candles: pd.DataFrame) -> pa.Table:
    return pa.concat_tables(list(FeatureTable(candles, PARAMS).iter_tables()))


def _location(path: Path) -> TableLocation:
    return TableLocation(str(path), LOCAL)


def _parts(path: Path, **kwargs) -> FeatureTableStore:
    return FeatureTableStore(_location(path), layout="parts", **kwargs)


def _previous(path: Path):
    return _location(path).open()


def _run(table, folder: Path, dated: Path, **store_args) -> None:
    """A run as the pipeline makes it: the dated folder, then latest published from it."""
    _parts(dated, **store_args).write(content_of(table))
    _parts(folder, **store_args).publish(_location(dated))


def _daily_run(
    candles: pd.DataFrame, folder: Path, dated: Path, **store_args
) -> IncrementalFeatureTable:
    table = IncrementalFeatureTable(
        candles, _previous(folder), PARAMS, rows_per_batch=ROWS_PER_BATCH
    )
    _run(table, folder, dated, **store_args)
    return table


def _files(folder: Path) -> list[str]:
    """The data files of a feature folder (without the stored state)."""
    return sorted(name for name in os.listdir(folder) if name != STATE_FILE)


def _stored_state_is_the_tail_of(folder: Path, table: pa.Table) -> bool:
    stored = pq.read_table(folder / STATE_FILE)
    return stored.equals(tail_state(table, PARAMS.lookback_rows), check_metadata=False)


def _first_run(candles: pd.DataFrame, folder: Path) -> None:
    table = FeatureTable(candles, PARAMS, rows_per_batch=ROWS_PER_BATCH)
    _run(table, folder, folder.with_name("dated_0.parquet"))


def test_a_full_run_writes_sorted_parts_that_read_like_one_file(
    candles, full_table, tmp_path: Path
):
    folder = tmp_path / "latest.parquet"
    _first_run(candles, folder)
    assert len(_files(folder)) > 3
    assert all(name.startswith("part-") for name in _files(folder))
    assert _previous(folder).read().equals(full_table, check_metadata=False)
    assert _stored_state_is_the_tail_of(folder, full_table)
    assert _parts(folder).read().equals(full_table, check_metadata=False)
    pd.testing.assert_frame_equal(  # any reader
        pd.read_parquet(folder), _parts(folder).read().to_pandas()
    )


def test_daily_runs_append_one_delta_each_and_equal_a_full_recompute(
    candles, full_table, tmp_path: Path
):
    dates = np.sort(candles["data"].unique())
    newest_asset = candles["ativo"].max()
    history = candles[
        (candles["data"] < dates[-3]) & (candles["ativo"] != newest_asset)
    ]
    folder = tmp_path / "latest.parquet"
    _first_run(history, folder)
    base_inodes = {name: (folder / name).stat().st_ino for name in _files(folder)}

    later = candles.loc[~candles.index.isin(history.index)]
    days = [later[later["data"] < dates[-3]]]  # the new asset's history arrives first
    days += [later[later["data"] == day] for day in dates[-3:]]
    for number, day in enumerate(days, 1):
        table = _daily_run(day, folder, tmp_path / f"dated_{number}.parquet")
        assert table.recomputed_assets == []
        assert _files(folder) == sorted(
            [*base_inodes, *(f"delta-{n:05d}.parquet" for n in range(1, number + 1))]
        )
        dated = tmp_path / f"dated_{number}.parquet"
        assert _files(dated) == _files(folder)
        # Latest is the dated folder published: the same files, not written again.
        assert all((folder / name).samefile(dated / name) for name in os.listdir(dated))

    assert _stored_state_is_the_tail_of(folder, full_table)
    # The history was linked, never rewritten.
    assert {name: (folder / name).stat().st_ino for name in base_inodes} == base_inodes
    previous = _previous(folder)
    assert previous.read().equals(full_table, check_metadata=False)
    streamed = pa.Table.from_batches(list(previous.iter_batches(1_000)))
    assert streamed.equals(full_table, check_metadata=False)
    # An earlier dated snapshot still holds its own day's table.
    snapshot = _previous(tmp_path / "dated_1.parquet").read()
    assert snapshot.num_rows == len(history) + len(days[0])


def test_a_late_correction_rewrites_the_folder_as_sorted_parts(
    candles, full_table, tmp_path: Path
):
    dates = np.sort(candles["data"].unique())
    folder = tmp_path / "latest.parquet"
    _first_run(candles[candles["data"] < dates[-2]], folder)
    _daily_run(candles[candles["data"] == dates[-2]], folder, tmp_path / "d1.parquet")
    assert any(name.startswith("delta-") for name in _files(folder))

    corrected = candles[candles["data"] >= dates[-5]].copy()
    btc = corrected.index[corrected["ativo"].eq("BTC")][0]
    corrected.loc[btc, "fechamento"] *= 1.01
    table = _daily_run(corrected, folder, tmp_path / "d2.parquet")

    assert table.recomputed_assets == ["BTC"]
    assert all(name.startswith("part-") for name in _files(folder))
    assert not (folder / STATE_FILE).exists()  # the next run reads the whole table
    expected = candles.copy()
    expected.loc[btc, "fechamento"] *= 1.01
    rebuilt = pa.concat_tables(list(FeatureTable(expected, PARAMS).iter_tables()))
    assert _previous(folder).read().equals(rebuilt, check_metadata=False)
    assert not _previous(folder).read().equals(full_table, check_metadata=False)


def test_a_daily_run_reads_the_stored_state_not_the_history(
    candles, full_table, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    dates = np.sort(candles["data"].unique())
    folder = tmp_path / "latest.parquet"
    _first_run(candles[candles["data"] < dates[-1]], folder)

    def no_scan(*args, **kwargs):
        raise AssertionError("the daily run scanned the whole previous table")

    monkeypatch.setattr(PartsTable, "read", no_scan)
    monkeypatch.setattr(PartsTable, "iter_batches", no_scan)
    _daily_run(candles[candles["data"] == dates[-1]], folder, tmp_path / "d1.parquet")
    monkeypatch.undo()
    assert _previous(folder).read().equals(full_table, check_metadata=False)
    assert _stored_state_is_the_tail_of(folder, full_table)


def test_without_a_stored_state_the_daily_run_scans_and_stores_one(
    candles, full_table, tmp_path: Path
):
    dates = np.sort(candles["data"].unique())
    folder = tmp_path / "latest.parquet"
    _first_run(candles[candles["data"] < dates[-1]], folder)
    (folder / STATE_FILE).unlink()  # as after a late correction
    _daily_run(candles[candles["data"] == dates[-1]], folder, tmp_path / "d1.parquet")
    assert _previous(folder).read().equals(full_table, check_metadata=False)
    assert _stored_state_is_the_tail_of(folder, full_table)


def test_reaching_max_delta_parts_compacts(candles, full_table, tmp_path: Path):
    dates = np.sort(candles["data"].unique())
    folder = tmp_path / "latest.parquet"
    _first_run(candles[candles["data"] < dates[-2]], folder)
    for number, day in enumerate(dates[-2:], 1):
        _daily_run(
            candles[candles["data"] == day],
            folder,
            tmp_path / f"d{number}.parquet",
            max_delta_parts=1,
        )
        deltas = [name for name in _files(folder) if name.startswith("delta-")]
        assert len(deltas) == (1 if number == 1 else 0)
    assert _previous(folder).read().equals(full_table, check_metadata=False)
    assert _stored_state_is_the_tail_of(folder, full_table)


def test_a_failed_write_keeps_the_previous_folder_whole(candles, tmp_path: Path):
    folder = tmp_path / "latest.parquet"
    _first_run(candles, folder)
    before = {name: (folder / name).read_bytes() for name in _files(folder)}
    table = pa.concat_tables(list(FeatureTable(candles, PARAMS).iter_tables()))

    def failing():
        yield table.slice(0, 100)
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        _parts(folder).write(TableContent(map_tables=in_order(failing)))

    assert {name: (folder / name).read_bytes() for name in _files(folder)} == before
    assert sorted(os.listdir(tmp_path)) == ["dated_0.parquet", "latest.parquet"]


def test_a_folder_with_foreign_files_is_refused_by_name(candles, tmp_path: Path):
    folder = tmp_path / "latest.parquet"
    _first_run(candles, folder)
    (folder / "notes.parquet").write_bytes(b"not ours")
    with pytest.raises(ValueError, match="unexpected files.*notes.parquet"):
        PartsTable.open(fsspec.filesystem("file"), str(folder))


def test_a_dataframe_is_written_as_one_part(candles, tmp_path: Path):
    frame = FeatureTable(candles, PARAMS).to_pandas()
    store = _parts(tmp_path / "frame.parquet")
    store.write(content_of(frame))
    assert [name[:10] for name in _files(tmp_path / "frame.parquet")] == ["part-00000"]
    pd.testing.assert_frame_equal(store.read().to_pandas(), frame)
