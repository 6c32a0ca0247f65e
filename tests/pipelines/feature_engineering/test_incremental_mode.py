"""feature_engineering.mode: incremental by default, full one parameter away."""

from __future__ import annotations

import re
from pathlib import Path

import fsspec
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from criptos.datasets import AtomicParquetDataset
from criptos.feature_store import TableLocation
from criptos.feature_store.candle_history import CandleHistory
from criptos.feature_store.history import snapshot_history
from criptos.feature_store.parts import STATE_FILE
from criptos.feature_store.stored_history import open_stored
from criptos.features import FeatureParams
from criptos.features.incremental import IncrementalFeatureTable
from criptos.features.table import FeatureTable
from criptos.pipelines.feature_engineering.nodes import build_features
from criptos.validation import validate_candles
from tests.kedro_project import KedroProject


@pytest.fixture(scope="module")
def real_candles(real_raw_frame: pd.DataFrame) -> pd.DataFrame:
    return validate_candles(real_raw_frame, max_quarantine_share=0.05).candles


def _previous(path: Path) -> TableLocation:
    return TableLocation(str(path), fsspec.filesystem("file"))


def _stored_history(candles: pd.DataFrame, path: Path) -> CandleHistory:
    """A history of ``candles`` stored at ``path``, and the next run's snapshot of them."""
    AtomicParquetDataset(filepath=str(path)).save(snapshot_history(candles, None))
    stored = open_stored(_previous(path), required=True)
    return snapshot_history(candles, stored)


def _write(history: CandleHistory, path: Path, params: FeatureParams) -> None:
    """Latest features as the run that stored ``history``'s previous generation wrote them."""
    table = FeatureTable(history.candles(), params, source=history.previous_generation)
    AtomicParquetDataset(filepath=str(path)).save(table)


def test_without_previous_latest_incremental_falls_back_to_full(
    real_candles, tmp_path: Path
):
    history = _stored_history(real_candles, tmp_path / "candles.parquet")
    table = build_features(
        history, {"mode": "incremental"}, _previous(tmp_path / "none.parquet")
    )
    assert isinstance(table, FeatureTable)
    assert table.source == history.generation


def test_previous_built_with_other_parameters_means_full(real_candles, tmp_path: Path):
    latest = tmp_path / "latest.parquet"
    history = _stored_history(real_candles, tmp_path / "candles.parquet")
    _write(history, latest, FeatureParams(robust_window=10))
    assert isinstance(
        build_features(history, {"mode": "incremental"}, _previous(latest)),
        FeatureTable,
    )
    _write(history, latest, FeatureParams())
    assert isinstance(
        build_features(history, {"mode": "incremental"}, _previous(latest)),
        IncrementalFeatureTable,
    )
    assert isinstance(
        build_features(history, {"mode": "full"}, _previous(latest)), FeatureTable
    )


def test_previous_not_built_from_the_stored_history_means_full(
    real_candles, tmp_path: Path
):
    """Same parameters, but computed from another history generation (a run killed
    between the history and the features, or a latest copied from elsewhere)."""
    latest = tmp_path / "latest.parquet"
    history = _stored_history(real_candles, tmp_path / "candles.parquet")
    other = FeatureTable(real_candles, FeatureParams(), source="another-generation")
    AtomicParquetDataset(filepath=str(latest)).save(other)
    table = build_features(history, {"mode": "incremental"}, _previous(latest))
    assert isinstance(table, FeatureTable)


def test_a_snapshot_that_drops_days_recomputes_from_the_history(
    real_candles, tmp_path: Path
):
    latest = tmp_path / "latest.parquet"
    history = _stored_history(real_candles, tmp_path / "candles.parquet")
    _write(history, latest, FeatureParams())
    shorter = real_candles[real_candles["ativo"] != "XEM"].reset_index(drop=True)
    dropped = snapshot_history(shorter, history.stored)
    assert dropped.change.dropped_assets == ("XEM",)
    table = build_features(dropped, {"mode": "incremental"}, _previous(latest))
    assert isinstance(table, FeatureTable)
    assert "XEM" not in set(table.to_pandas()["ativo"])


def test_unknown_mode_is_refused(real_candles, tmp_path: Path):
    history = snapshot_history(real_candles, None)
    with pytest.raises(ValueError, match="mode"):
        build_features(history, {"mode": "daily"}, _previous(tmp_path / "none.parquet"))


@pytest.mark.e2e
def test_cli_daily_run_equals_a_full_recompute(
    kedro_project: KedroProject,
    real_raw_frame: pd.DataFrame,
    real_raw_csv: Path,
    real_candles,
):
    history = real_raw_frame[real_raw_frame["data"] < "2021-07-01"]
    raw = kedro_project.path("raw") / "raw.csv"
    history.drop(columns="linha_malformada").to_csv(raw, sep="|", index=False)
    first = kedro_project.kedro(
        "run", "--pipelines", "feature_engineering", "--params", "run_date=20210630"
    )
    assert first.returncode == 0, first.stderr
    assert (
        "Full feature recompute" in first.stdout + first.stderr
    )  # no previous latest yet

    kedro_project.use_raw_file(real_raw_csv)
    second = kedro_project.kedro(
        "run", "--pipelines", "feature_engineering", "--params", "run_date=20210706"
    )
    assert second.returncode == 0, second.stderr
    assert "Incremental features" in second.stdout + second.stderr

    features = kedro_project.path("features")
    latest = pq.read_table(features / "cripto_features_latest.parquet")
    full = pa.concat_tables(
        list(FeatureTable(real_candles, FeatureParams()).iter_tables())
    )
    assert latest.equals(full, check_metadata=False)
    dated = features / "cripto_features_20210706.parquet"
    assert (
        dated.read_bytes() == (features / "cripto_features_latest.parquet").read_bytes()
    )


@pytest.mark.e2e
def test_cli_daily_runs_in_the_parts_layout_append_one_file(
    kedro_project: KedroProject, real_raw_frame: pd.DataFrame, real_candles
):
    """features_layout=parts: the daily run writes one delta file, links the rest, and
    the folders read back as the full recompute (also through the catalog)."""
    raw = kedro_project.path("raw") / "raw.csv"
    raw_rows = real_raw_frame.drop(columns="linha_malformada")
    last_day = raw_rows["data"].max()
    raw_rows[raw_rows["data"] < last_day].to_csv(raw, sep="|", index=False)
    first = kedro_project.kedro(
        "run",
        "--pipelines",
        "feature_engineering",
        "--params",
        "run_date=20210705,features_layout=parts",
    )
    assert first.returncode == 0, first.stderr
    features = kedro_project.path("features")
    latest = features / "cripto_features_latest.parquet"
    history_parts = sorted(p.name for p in latest.iterdir() if p.name != STATE_FILE)
    assert history_parts and all(name.startswith("part-") for name in history_parts)

    raw_rows[raw_rows["data"] == last_day].to_csv(raw, sep="|", index=False)
    second = kedro_project.kedro(
        "run",
        "--pipelines",
        "feature_engineering",
        "--params",
        "run_date=20210706,features_layout=parts,feature_engineering.ingest=append",
    )
    assert second.returncode == 0, second.stderr
    assert "as delta-00001.parquet" in second.stdout + second.stderr
    assert "Appending 7 rows to" in second.stdout + second.stderr
    assert re.search(r"Pipeline ran in \d+\.\d\d s", second.stdout + second.stderr)
    assert sorted(p.name for p in latest.iterdir()) == [
        STATE_FILE,
        "delta-00001.parquet",
        *history_parts,
    ]
    dated = features / "cripto_features_20210706.parquet"
    assert sorted(p.name for p in dated.iterdir()) == sorted(
        p.name for p in latest.iterdir()
    )
    full = FeatureTable(real_candles, FeatureParams()).to_pandas()
    for folder in (latest, dated):
        pd.testing.assert_frame_equal(
            AtomicParquetDataset(filepath=str(folder), layout="parts").load(),
            pa.Table.from_pandas(full, preserve_index=False).to_pandas(),
        )
