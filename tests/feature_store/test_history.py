"""The candle history: snapshot and append semantics, and features equal to a full
recompute of the resulting history whatever the sequence of runs."""

from __future__ import annotations

import tempfile
from pathlib import Path

import fsspec
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from criptos.datasets import AtomicParquetDataset
from criptos.feature_store import TableLocation
from criptos.feature_store.history import append_history
from criptos.feature_store.stored_history import HistoryError, open_stored
from criptos.features import FeatureParams
from criptos.features.table import FeatureTable
from criptos.pipelines.feature_engineering.nodes import (
    build_features,
    update_candle_history,
)

DAY0 = np.datetime64("2021-01-01", "ns")
PARAMS = {"mode": "incremental"}


def candles(rows: list[tuple[str, int, float]]) -> pd.DataFrame:
    """Sorted clean candles of (asset, day offset, close); other prices derived."""
    frame = pd.DataFrame(rows, columns=["ativo", "day", "fechamento"])
    frame = frame.drop_duplicates(["ativo", "day"], keep="last")
    frame = frame.sort_values(["ativo", "day"]).reset_index(drop=True)
    close = frame["fechamento"].to_numpy(dtype=np.float64)
    return pd.DataFrame(
        {
            "ativo": pd.array(frame["ativo"], dtype="str"),
            "data": DAY0 + frame["day"].to_numpy().astype("timedelta64[D]"),
            "abertura": close * 0.99,
            "maximo": close * 1.02,
            "minimo": close * 0.97,
            "fechamento": close,
            "volumefrom": close * 3.0,
            "volumeto": close * close * 3.0,
        }
    )


class Store:
    """A project's stored history and latest features in a temporary folder."""

    def __init__(self, root: Path, layout: str = "file") -> None:
        self.history_path = root / "candles.parquet"
        self.latest_path = root / "latest.parquet"
        self.layout = layout

    def handle(self, path: Path) -> TableLocation:
        return TableLocation(str(path), fsspec.filesystem("file"))

    def dataset(self, path: Path) -> AtomicParquetDataset:
        return AtomicParquetDataset(filepath=str(path), layout=self.layout)

    def run(self, new: pd.DataFrame, ingest: str, mode: str = "incremental"):
        params = {"mode": mode, "ingest": ingest}
        history = update_candle_history(new, self.handle(self.history_path), params)
        self.dataset(self.history_path).save(history)
        features = build_features(history, params, self.handle(self.latest_path))
        self.dataset(self.latest_path).save(features)
        return history, features

    def history(self) -> pd.DataFrame:
        return self.dataset(self.history_path).load()

    def latest(self) -> pa.Table:
        return pa.Table.from_pandas(
            self.dataset(self.latest_path).load(), preserve_index=False
        )


def full_recompute(history: pd.DataFrame) -> pa.Table:
    table = pa.concat_tables(list(FeatureTable(history, FeatureParams()).iter_tables()))
    return table.replace_schema_metadata(None)


def assert_candles_equal(stored: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        stored.reset_index(drop=True),
        expected.reset_index(drop=True),
        check_dtype=False,
    )


def test_snapshot_becomes_exactly_the_raw_rows_and_names_what_it_dropped(
    tmp_path, caplog
):
    store = Store(tmp_path)
    store.run(
        candles([("BTC", d, 100.0 + d) for d in range(40)] + [("SOL", 3, 2.0)]),
        "snapshot",
    )
    own = candles([("BTC", d, 50.0 + d) for d in range(20, 30)] + [("ETH", 1, 9.0)])
    history, features = store.run(own, "snapshot")
    change = history.change
    assert (change.assets_before, change.days_before) == (2, 41)
    assert (change.assets_after, change.days_after) == (2, 11)
    assert change.dropped_assets == ("SOL",)
    assert change.shortened_assets == {"BTC": 30}
    assert change.new_assets == ("ETH",)
    assert (change.new_days, change.corrected_days, change.dropped_days) == (1, 10, 31)
    assert (
        "dropped 1 asset(s) absent from the raw file, with their history: SOL"
        in caplog.text
    )
    assert "BTC (30 days)" in caplog.text
    assert_candles_equal(store.history(), own)
    assert store.latest().replace_schema_metadata(None).equals(full_recompute(own))
    assert isinstance(features, FeatureTable)  # days were dropped: recomputed


def test_append_adds_new_days_and_the_raw_wins_on_the_same_day(tmp_path):
    store = Store(tmp_path)
    first = candles([("BTC", d, 100.0 + d) for d in range(40)])
    store.run(first, "snapshot")
    day = candles([("BTC", 40, 140.0), ("BTC", 10, 999.0), ("ETH", 40, 5.0)])
    history, _ = store.run(day, "append")
    assert (history.change.new_days, history.change.corrected_days) == (2, 1)
    expected = candles(
        [("BTC", d, 100.0 + d) for d in range(41)]
        + [("BTC", 10, 999.0), ("ETH", 40, 5.0)]
    )
    assert_candles_equal(store.history(), expected)
    assert store.latest().replace_schema_metadata(None).equals(full_recompute(expected))


def test_append_without_a_stored_history_is_refused_naming_the_rebuild(tmp_path):
    store = Store(tmp_path)
    with pytest.raises(HistoryError, match=r"does not exist.*ingest=snapshot"):
        store.run(candles([("BTC", 0, 1.0)]), "append")
    assert not store.history_path.exists() and not store.latest_path.exists()


@pytest.mark.parametrize("damage", ["truncated", "foreign"])
def test_append_to_a_damaged_history_is_refused_and_nothing_replaced(tmp_path, damage):
    store = Store(tmp_path)
    store.run(candles([("BTC", d, 100.0 + d) for d in range(10)]), "snapshot")
    if damage == "truncated":
        data = store.history_path.read_bytes()
        store.history_path.write_bytes(data[: len(data) // 2])
    else:
        pd.DataFrame({"ativo": ["BTC"], "data": [DAY0]}).to_parquet(store.history_path)
    before = {p: p.read_bytes() for p in (store.history_path, store.latest_path)}
    problem = "cannot be read" if damage == "truncated" else "not written by criptos"
    with pytest.raises(HistoryError, match=problem):
        store.run(candles([("BTC", 10, 1.0)]), "append")
    assert {p: p.read_bytes() for p in before} == before


def test_a_damaged_history_is_replaced_by_a_snapshot(tmp_path, caplog):
    store = Store(tmp_path)
    store.run(candles([("BTC", d, 100.0 + d) for d in range(10)]), "snapshot")
    store.history_path.write_bytes(b"PAR1 not really")
    raw = candles([("BTC", d, 7.0 + d) for d in range(12)])
    store.run(raw, "snapshot")
    assert "Replacing the candle history" in caplog.text
    assert_candles_equal(store.history(), raw)


def test_no_clean_candle_is_an_error(tmp_path):
    store = Store(tmp_path)
    with pytest.raises(ValueError, match="no clean candle"):
        store.run(candles([]), "snapshot")


def test_parts_layout_appends_one_delta_without_reading_the_stored_rows(
    tmp_path, monkeypatch
):
    store = Store(tmp_path, layout="parts")
    store.run(
        candles([(a, d, 10.0 + d) for a in ("A", "B") for d in range(70)]), "snapshot"
    )
    stored = open_stored(store.handle(store.history_path), required=True)
    monkeypatch.setattr(
        type(stored), "candles", lambda self: pytest.fail("read the history")
    )
    history = append_history(candles([("A", 70, 80.0), ("C", 0, 1.0)]), stored)
    assert history.appended_rows().num_rows == 2
    summary = history.summary.to_pandas().set_index("ativo")
    assert summary.loc["A", "dias"] == 71 and summary.loc["C", "dias"] == 1
    assert summary.loc["A", "ultimo_dia"] == DAY0 + np.timedelta64(70, "D")


rows = st.lists(
    st.tuples(
        st.sampled_from(["A", "B", "C"]),
        st.integers(0, 90),
        st.floats(0.5, 2000.0, allow_nan=False),
    ),
    max_size=120,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    runs=st.lists(
        st.tuples(rows, st.sampled_from(["snapshot", "append"]), st.booleans()),
        min_size=1,
        max_size=4,
    ),
    layout=st.sampled_from(["file", "parts"]),
)
def test_any_sequence_of_runs_equals_a_full_recompute_of_its_history(runs, layout):
    """The model: snapshot replaces the key -> candle map, append updates it."""
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder), layout)
        model: dict[tuple[str, int], float] = {}
        stored = False
        for raw_rows, ingest, full in runs:
            raw = candles(raw_rows)
            if raw.empty or (ingest == "append" and not stored):
                continue
            unique = dict(((a, d), c) for a, d, c in raw_rows)
            model = unique if ingest == "snapshot" else {**model, **unique}
            store.run(raw, ingest, "full" if full else "incremental")
            stored = True
            expected = candles([(a, d, c) for (a, d), c in model.items()])
            assert_candles_equal(store.history(), expected)
            latest = store.latest().replace_schema_metadata(None)
            assert latest.equals(full_recompute(expected))


def test_the_history_records_its_generation_and_how_it_was_made(tmp_path):
    store = Store(tmp_path)
    raw = candles([("BTC", d, 100.0 + d) for d in range(5)])
    report = {"rows_read": 6, "rows_valid": 5, "quarantined_by_rule": {"x": 1}}
    history = update_candle_history(
        raw, store.handle(store.history_path), {"ingest": "snapshot"}, report
    )
    store.dataset(store.history_path).save(history)
    recorded = store.handle(store.history_path).metadata()["criptos.history"]
    assert recorded["generation"] == history.generation
    assert recorded["ingest"]["mode"] == "snapshot"
    assert recorded["ingest"]["new_days"] == 5
    assert recorded["ingest"]["validation"] == report
