"""Daily incremental runs: new candles continue the previous feature table.

The previous ``cripto_features_latest`` keeps each asset's raw columns, so it is the
state: every asset whose new candles only add later days gets features computed for
those days alone, from the last ``FeatureParams.lookback_rows`` days of history plus
the carried-over first close and running maximum (``AssetHistory``). An asset with a
late-arriving correction (a changed or inserted past day) is recomputed in full from
its merged candles; a new asset from its own candles; all other rows are copied.

The result equals a full recompute over the previous history merged with the new
candles (new values win for the same day), exactly: every feature of a row depends
only on its look-back window and the carried-over values.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from criptos.features.definitions import INPUT_COLUMNS, KEY_COLUMNS, sort_candles
from criptos.features.history import AssetHistory
from criptos.features.params import FeatureParams
from criptos.features.table import ROWS_PER_BATCH, WORKERS, FeatureTable

logger = logging.getLogger(__name__)

_VALUE_COLUMNS = [column for column in INPUT_COLUMNS if column not in KEY_COLUMNS]


@dataclass(frozen=True)
class _PreviousAssets:
    """Row ranges and carried-over values of each asset of the previous table."""

    names: np.ndarray  # sorted asset names
    start: np.ndarray
    stop: np.ndarray
    last_date: pd.Series  # by asset name
    history: AssetHistory

    def rows_of(self, assets: np.ndarray) -> np.ndarray:
        """Row indices of ``assets`` (a sorted subset of ``names``) in the previous table."""
        where = np.searchsorted(self.names, assets)
        return np.concatenate(
            [np.arange(self.start[i], self.stop[i]) for i in where] or [np.array([], dtype=np.int64)]
        )


def _previous_assets(previous: pa.Table) -> _PreviousAssets:
    names = previous.column("ativo").to_numpy()
    starts = np.flatnonzero(np.r_[True, names[1:] != names[:-1]]) if len(names) else np.array([], int)
    stops = np.r_[starts[1:], len(names)].astype(np.int64)
    unique = names[starts] if len(names) else np.array([], dtype=object)
    close = previous.column("fechamento").to_numpy()
    running_max = previous.column("max_acum").to_numpy()
    dates = previous.column("data").to_numpy()
    return _PreviousAssets(
        names=unique,
        start=starts,
        stop=stops,
        last_date=pd.Series(dates[stops - 1] if len(stops) else [], index=unique, dtype="datetime64[ns]"),
        history=AssetHistory(
            first_close=pd.Series(close[starts], index=unique, dtype="float64"),
            max_close=pd.Series(running_max[stops - 1], index=unique, dtype="float64"),
        ),
    )


def _is_sorted_table(previous: pa.Table) -> bool:
    keys = previous.select(list(KEY_COLUMNS))
    return keys.equals(keys.sort_by([(name, "ascending") for name in KEY_COLUMNS]))


@dataclass
class IncrementalFeatureTable:
    """The previous feature table continued with new clean candles (see module docstring)."""

    candles: pd.DataFrame
    previous: pa.Table
    params: FeatureParams
    rows_per_batch: int = ROWS_PER_BATCH
    workers: int = WORKERS
    written_to: str | None = field(default=None, compare=False)
    recomputed_assets: list[str] = field(default_factory=list, compare=False)

    def __post_init__(self) -> None:
        self.candles = sort_candles(self.candles)
        if not _is_sorted_table(self.previous):
            self.previous = self.previous.sort_by([(name, "ascending") for name in KEY_COLUMNS])

    def _previous_candles(self, rows: np.ndarray) -> pd.DataFrame:
        frame = self.previous.select(list(INPUT_COLUMNS)).take(pa.array(rows)).to_pandas()
        frame["data"] = frame["data"].astype("datetime64[ns]")
        return frame

    def _overlap_changes(self, overlap: pd.DataFrame, assets: _PreviousAssets) -> np.ndarray:
        """Assets whose past days changed: a different value, or a day that was not there."""
        if overlap.empty:
            return np.array([], dtype=object)
        touched = np.unique(overlap["ativo"].to_numpy())
        old = self._previous_candles(assets.rows_of(touched))
        merged = overlap.merge(old, on=list(KEY_COLUMNS), how="left", suffixes=("", "_old"), indicator=True)
        changed = merged["_merge"].ne("both").to_numpy(dtype=bool, copy=True)
        for column in _VALUE_COLUMNS:
            new, previous = merged[column].to_numpy(), merged[f"{column}_old"].to_numpy()
            changed |= ~((new == previous) | (np.isnan(new) & np.isnan(previous)))
        return np.unique(merged.loc[changed, "ativo"].to_numpy())

    def _work(self, assets: _PreviousAssets) -> tuple[pd.DataFrame, AssetHistory]:
        """Candles to compute (with look-back rows flagged), and the history they continue."""
        new = self.candles
        known = new["ativo"].isin(assets.names).to_numpy()
        last = new["ativo"].map(assets.last_date).to_numpy(dtype="datetime64[ns]")
        overlap = known & (new["data"].to_numpy() <= last)
        corrected = self._overlap_changes(new.loc[overlap], assets)
        self.recomputed_assets = [str(name) for name in corrected]
        is_corrected = new["ativo"].isin(corrected).to_numpy()
        appended = known & ~overlap & ~is_corrected
        fresh = new.loc[~known | is_corrected | appended]

        continued = np.unique(new.loc[appended, "ativo"].to_numpy())
        lookback = self.params.lookback_rows
        where = np.searchsorted(assets.names, continued)
        tail_rows = np.concatenate(
            [np.arange(max(assets.start[i], assets.stop[i] - lookback), assets.stop[i]) for i in where]
            or [np.array([], dtype=np.int64)]
        )
        parts = [fresh.assign(_lookback=False)]
        if len(tail_rows):
            parts.append(self._previous_candles(tail_rows).assign(_lookback=True))
        if len(corrected):
            old = self._previous_candles(assets.rows_of(np.sort(corrected)))
            kept = old.merge(new.loc[is_corrected, list(KEY_COLUMNS)], how="left", indicator=True)
            parts.append(old.loc[kept["_merge"].eq("left_only").to_numpy()].assign(_lookback=False))
        work = pd.concat(parts, ignore_index=True)
        history = AssetHistory(
            first_close=assets.history.first_close.reindex(continued),
            max_close=assets.history.max_close.reindex(continued),
        )
        logger.info(
            "Incremental features: %d assets continued, %d recomputed (late corrections), "
            "%d new, %d new candles",
            len(continued),
            len(corrected),
            new.loc[~known, "ativo"].nunique(),
            len(new),
        )
        return sort_candles(work), history

    def computed(self) -> pa.Table:
        """Feature rows of the new, corrected and continued candles (look-back rows dropped)."""
        assets = _previous_assets(self.previous)
        work, history = self._work(assets)
        lookback = work.pop("_lookback").to_numpy()
        table = FeatureTable(work, self.params, history, self.rows_per_batch, self.workers)
        computed = pa.concat_tables(list(table.iter_tables()))
        return computed.filter(pa.array(~lookback))

    def iter_tables(self) -> Iterator[pa.Table]:
        """Previous rows (minus recomputed assets) and computed rows, in (ativo, data) order."""
        computed = self.computed()
        if computed.schema != self.previous.schema:
            computed = computed.cast(self.previous.schema)
        dropped = pa.array(self.recomputed_assets, pa.large_string())
        computed_assets = computed.column("ativo").to_numpy()
        previous_assets = self.previous.column("ativo").to_numpy()
        previous_rows = len(previous_assets)
        start = computed_start = 0
        while start < previous_rows or computed_start < len(computed_assets):
            stop = min(start + self.rows_per_batch, previous_rows)
            if stop < previous_rows:  # extend to the end of the asset at the cut
                stop = int(np.searchsorted(previous_assets, previous_assets[stop - 1], side="right"))
                bound = previous_assets[stop - 1]
                computed_stop = int(np.searchsorted(computed_assets, bound, side="right"))
            else:
                computed_stop = len(computed_assets)
            chunk = self.previous.slice(start, stop - start)
            if len(dropped):
                chunk = chunk.filter(pc.invert(pc.is_in(chunk.column("ativo"), dropped)))
            batch = pa.concat_tables([chunk, computed.slice(computed_start, computed_stop - computed_start)])
            yield batch.sort_by([(name, "ascending") for name in KEY_COLUMNS])
            start, computed_start = stop, computed_stop
