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
from criptos.features.row_order import asset_codes, interleave, keys_of, sort_keys
from criptos.features.state import (
    STATE_COLUMNS,
    InMemoryTable,
    PreviousState,
    PreviousTable,
    append_to_state,
    previous_state,
)
from criptos.features.table import (
    ROWS_PER_BATCH,
    WORKERS,
    FeatureTable,
    schema_metadata,
)

logger = logging.getLogger(__name__)

_VALUE_COLUMNS = [column for column in INPUT_COLUMNS if column not in KEY_COLUMNS]


@dataclass
class IncrementalFeatureTable:
    """The previous feature table continued with new clean candles (see module docstring)."""

    candles: pd.DataFrame
    previous: PreviousTable  # or an Arrow table, wrapped in an InMemoryTable
    params: FeatureParams
    rows_per_batch: int = ROWS_PER_BATCH
    workers: int = WORKERS
    recomputed_assets: list[str] = field(default_factory=list, compare=False)
    source: str | None = None
    _assets: PreviousState | None = field(
        default=None, init=False, repr=False, compare=False
    )
    _computed_rows: pa.Table | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self.candles = sort_candles(self.candles)
        if isinstance(self.previous, pa.Table):
            self.previous = InMemoryTable(self.previous)

    @property
    def schema_metadata(self) -> dict[bytes, bytes]:
        return schema_metadata(self.params, self.source)

    @property
    def rows_computed(self) -> int:
        return self._computed().num_rows

    def _overlap_changes(
        self, overlap: pd.DataFrame, codes: np.ndarray, assets: PreviousState
    ) -> np.ndarray:
        """Assets whose past days changed: a different value, or a day that was not there.

        Matched by (asset, day) key with a binary search in the sorted state, so a raw
        file that repeats years of history costs seconds, not a join.
        """
        if overlap.empty:
            return np.array([], dtype=object)
        new_keys = keys_of(codes, overlap["data"].to_numpy())
        state_keys = sort_keys(
            assets.state,
            np.repeat(np.arange(len(assets.names)), assets.stop - assets.start),
        )
        at = np.minimum(np.searchsorted(state_keys, new_keys), len(state_keys) - 1)
        changed = state_keys[at] != new_keys
        for column in _VALUE_COLUMNS:
            new = overlap[column].to_numpy(dtype=np.float64)
            previous = assets.state.column(column).to_numpy()[at]
            changed |= ~((new == previous) | (np.isnan(new) & np.isnan(previous)))
        return assets.names[np.unique(codes[changed])]

    def _work(self, assets: PreviousState) -> tuple[pd.DataFrame, AssetHistory]:
        """Candles to compute (with look-back rows flagged), and the history they continue."""
        new = self.candles
        codes = _codes_in(new, assets)
        known = codes >= 0
        overlap = _on_or_before_last_day(new, codes, assets)
        corrected = self._overlap_changes(new.loc[overlap], codes[overlap], assets)
        self.recomputed_assets = [str(name) for name in corrected]
        is_corrected = np.isin(codes, np.searchsorted(assets.names, corrected)) & known
        appended = known & ~overlap & ~is_corrected
        fresh = new.loc[~known | is_corrected | appended]

        continued = np.unique(new.loc[appended, "ativo"].to_numpy())
        lookback = self.params.lookback_rows
        where = np.searchsorted(assets.names, continued)
        tail_rows = np.concatenate(
            [
                np.arange(
                    max(assets.start[i], assets.stop[i] - lookback), assets.stop[i]
                )
                for i in where
            ]
            or [np.array([], dtype=np.int64)]
        )
        parts = [fresh.assign(_lookback=False)]
        if len(tail_rows):
            parts.append(assets.candles(tail_rows).assign(_lookback=True))
        if len(corrected):
            old = assets.candles(assets.rows_of(np.sort(corrected)))
            kept = old.merge(
                new.loc[is_corrected, list(KEY_COLUMNS)], how="left", indicator=True
            )
            parts.append(
                old.loc[kept["_merge"].eq("left_only").to_numpy()].assign(
                    _lookback=False
                )
            )
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

    def _state(self) -> PreviousState:
        """The previous state: the stored tail (if its store keeps one) when this run
        only adds later days or new assets, else every previous row."""
        if self._assets is None:
            stored = self.previous.read_state()
            if stored is not None:
                tail = previous_state(stored, complete=False)
                if self._only_appends(tail):
                    self._assets = tail
            if self._assets is None:
                self._assets = self._complete_state()
        return self._assets

    def _complete_state(self) -> PreviousState:
        return previous_state(self.previous.read(STATE_COLUMNS), complete=True)

    def _only_appends(self, assets: PreviousState) -> bool:
        """Whether every new candle of a known asset is after that asset's last day."""
        codes = _codes_in(self.candles, assets)
        return not _on_or_before_last_day(self.candles, codes, assets).any()

    def next_state(self) -> pa.Table:
        """The state to store beside the previous table plus ``appended_rows()``."""
        appended = self.appended_rows()
        if appended is None:
            raise ValueError(
                "history was corrected: the table is rewritten, not appended"
            )
        lookback = self.params.lookback_rows
        return append_to_state(self._state().tail(lookback), appended, lookback)

    def _computed(self) -> pa.Table:
        """Feature rows of the new, corrected and continued candles (look-back rows
        dropped), computed once."""
        if self._computed_rows is None:
            self._computed_rows = self._compute(self._state())
        return self._computed_rows

    def _compute(self, assets: PreviousState) -> pa.Table:
        work, history = self._work(assets)
        lookback = work.pop("_lookback").to_numpy()
        table = FeatureTable(
            work, self.params, history, self.rows_per_batch, self.workers
        )
        computed = pa.concat_tables(list(table.iter_tables()))
        return computed.filter(pa.array(~lookback)).cast(self.previous.schema_arrow)

    def appended_rows(self) -> pa.Table | None:
        """The rows to append to the previous table, in (ativo, data) order; None when
        a late correction changed history, so that previous rows must be rewritten."""
        computed = self._computed()
        return None if self.recomputed_assets else computed

    def iter_tables(self) -> Iterator[pa.Table]:
        """Previous rows (minus recomputed assets) merged with computed rows, in (ativo, data) order.

        The previous table is streamed batch by batch; computed rows of an asset are
        emitted once all its previous rows have been.
        """
        computed = self._computed()
        assets = self._state()
        if not assets.complete:  # streaming needs every previous row's position
            assets = self._complete_state()
        dropped = pa.array(self.recomputed_assets, pa.large_string())
        computed_names = computed.column("ativo").to_numpy(zero_copy_only=False)
        computed_keys = sort_keys(computed, _part_ranks(assets, computed_names))
        computed_start, row = 0, 0
        for batch in self.previous.iter_batches(self.rows_per_batch):
            chunk = pa.Table.from_batches([batch])
            rows = np.arange(row, row + chunk.num_rows)
            row += chunk.num_rows
            complete = int(np.searchsorted(assets.stop, row, side="right"))
            if complete < len(assets.names):
                bound = int(
                    np.searchsorted(computed_names, assets.names[complete], side="left")
                )
            else:
                bound = len(computed_names)
            if len(dropped):
                keep = pc.invert(pc.is_in(chunk.column("ativo"), dropped))
                rows = rows[np.asarray(keep.to_numpy(zero_copy_only=False), dtype=bool)]
                chunk = chunk.filter(keep)
            ranks = 2 * (np.searchsorted(assets.start, rows, side="right") - 1) + 1
            yield interleave(
                chunk,
                sort_keys(chunk, ranks),
                computed.slice(computed_start, bound - computed_start),
                computed_keys[computed_start:bound],
            )
            computed_start = bound
        if computed_start < len(computed_names):
            yield computed.slice(computed_start)


def _codes_in(candles: pd.DataFrame, assets: PreviousState) -> np.ndarray:
    """Each candle's asset position in the previous state's names (-1: a new asset)."""
    return asset_codes(pa.array(candles["ativo"], pa.large_string()), assets.names)


def _on_or_before_last_day(
    candles: pd.DataFrame, codes: np.ndarray, assets: PreviousState
) -> np.ndarray:
    """Rows of known assets dated on or before that asset's last stored day."""
    last = assets.last_date.to_numpy(dtype="datetime64[ns]")
    known = codes >= 0
    overlap = np.zeros(len(codes), dtype=bool)
    overlap[known] = candles["data"].to_numpy()[known] <= last[codes[known]]
    return overlap


def _part_ranks(assets: PreviousState, names: np.ndarray) -> np.ndarray:
    """Sort rank of asset names: 2i+1 for the previous table's asset i, 2i for a new
    name that sorts just before it."""
    where = np.searchsorted(assets.names, names, side="left")
    known = where < len(assets.names)
    known[known] = assets.names[where[known]] == names[known]
    return 2 * where + known.astype(np.int64)
