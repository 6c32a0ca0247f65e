"""What a daily run carries over from the previous feature table: its state.

Per asset, a new day's features need only the asset's last ``lookback_rows`` candles,
its running maximum (``max_acum`` of its last row) and its first close ever. Read
from a whole feature table that is a scan of every row; so a store may keep just
those rows, with each asset's first close (``tail_state``), beside the table (the
parts layout of ``criptos.feature_store`` does), and a daily run reads that instead.

``PreviousTable`` is how a daily run reads the previous table: the feature store's
stored tables implement it, ``InMemoryTable`` wraps an Arrow table (small data, tests).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from criptos.features.definitions import INPUT_COLUMNS
from criptos.features.history import AssetHistory
from criptos.features.row_order import (
    asset_codes,
    merged_order,
    sort_keys,
    sorted_names,
)

STATE_COLUMNS = [*INPUT_COLUMNS, "max_acum"]
FIRST_CLOSE = "primeiro_fechamento"


class PreviousTable(ABC):
    """The previous feature table, in (ativo, data) order: read by columns, streamed in
    batches, and the state stored beside it when its store keeps one."""

    @property
    @abstractmethod
    def schema_arrow(self) -> pa.Schema: ...

    @abstractmethod
    def read(self, columns: list[str] | None = None) -> pa.Table: ...

    @abstractmethod
    def iter_batches(self, batch_size: int) -> Iterator[pa.RecordBatch]: ...

    def read_state(self) -> pa.Table | None:
        """The stored ``tail_state`` of the table, or None (then it is read whole)."""
        return None


@dataclass(frozen=True)
class InMemoryTable(PreviousTable):
    """A ``PreviousTable`` over an Arrow table already in memory (small data, tests)."""

    table: pa.Table

    @property
    def schema_arrow(self) -> pa.Schema:
        return self.table.schema

    def read(self, columns: list[str] | None = None) -> pa.Table:
        return self.table if columns is None else self.table.select(columns)

    def iter_batches(self, batch_size: int) -> Iterator[pa.RecordBatch]:
        yield from self.table.to_batches(max_chunksize=batch_size)


def _asset_runs(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and stop row of each run of equal codes (one run per asset when sorted)."""
    if len(codes) == 0:
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    return starts, np.r_[starts[1:], len(codes)].astype(np.int64)


def _codes(table: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """Per row the asset's position in the sorted asset names, and those names."""
    names = sorted_names(table.column("ativo"))
    return asset_codes(table.column("ativo"), names), names


@dataclass(frozen=True)
class PreviousState:
    """Row ranges, raw candles and carried-over values of the previous table's assets.

    ``complete``: ``state`` holds every previous row (else only each asset's tail).
    """

    names: np.ndarray  # sorted asset names
    start: np.ndarray
    stop: np.ndarray
    last_date: pd.Series  # by asset name
    history: AssetHistory
    state: pa.Table  # STATE_COLUMNS of the previous rows, in (ativo, data) order
    complete: bool

    def rows_of(self, assets: np.ndarray) -> np.ndarray:
        """Row indices of ``assets`` (a sorted subset of ``names``) in ``state``."""
        where = np.searchsorted(self.names, assets)
        return np.concatenate(
            [np.arange(self.start[i], self.stop[i]) for i in where]
            or [np.array([], dtype=np.int64)]
        )

    def candles(self, rows: np.ndarray) -> pd.DataFrame:
        """Raw candles of ``state`` at ``rows``."""
        frame = (
            self.state.select(list(INPUT_COLUMNS))
            .take(pa.array(rows, pa.int64()))
            .to_pandas()
        )
        frame["data"] = frame["data"].astype("datetime64[ns]")
        return frame

    def tail(self, lookback: int) -> pa.Table:
        """The stored state: each asset's last ``lookback`` rows and its first close."""
        return tail_state(self.state, lookback, self.history.first_close.to_dict())


def previous_state(state: pa.Table, complete: bool) -> PreviousState:
    """The ``PreviousState`` of state rows in (ativo, data) order (a whole previous
    table's STATE_COLUMNS, or a stored tail with its FIRST_CLOSE column)."""
    codes, names = _codes(state)
    starts, stops = _asset_runs(codes)
    dates = state.column("data").to_numpy().astype("datetime64[ns]")
    same_asset = codes[1:] == codes[:-1]
    if len(starts) != len(names) or not (
        (codes[1:] >= codes[:-1]).all()
        and (dates[1:][same_asset] > dates[:-1][same_asset]).all()
    ):
        raise ValueError("the previous feature table is not in (ativo, data) order")
    first = FIRST_CLOSE if FIRST_CLOSE in state.column_names else "fechamento"
    first_close = state.column(first).to_numpy()
    running_max = state.column("max_acum").to_numpy()
    return PreviousState(
        names=names,
        start=starts,
        stop=stops,
        last_date=pd.Series(
            dates[stops - 1] if len(stops) else [], index=names, dtype="datetime64[ns]"
        ),
        history=AssetHistory(
            first_close=pd.Series(first_close[starts], index=names, dtype="float64"),
            max_close=pd.Series(running_max[stops - 1], index=names, dtype="float64"),
        ),
        state=state.select(STATE_COLUMNS),
        complete=complete,
    )


def tail_state(
    table: pa.Table, lookback: int, first_close: dict[str, float] | None = None
) -> pa.Table:
    """The last ``lookback`` rows of every asset of ``table`` ((ativo, data) order),
    with the asset's first close: from ``first_close`` or else its first row here."""
    codes, names = _codes(table)
    starts, stops = _asset_runs(codes)
    position = np.arange(len(codes))
    keep = position >= np.repeat(stops, stops - starts) - lookback
    closes = table.column("fechamento").to_numpy()[starts]
    if first_close:
        closes = np.array(
            [
                first_close.get(name, close)
                for name, close in zip(names, closes, strict=True)
            ]
            if len(names)
            else [],
            dtype=np.float64,
        )
    tail = table.select(STATE_COLUMNS).filter(pa.array(keep))
    kept_per_asset = np.minimum(stops - starts, lookback)
    return tail.append_column(
        FIRST_CLOSE, pa.array(np.repeat(closes, kept_per_asset), pa.float64())
    )


def append_to_state(stored: pa.Table, rows: pa.Table, lookback: int) -> pa.Table:
    """``stored`` state (a tail with FIRST_CLOSE) continued with new feature ``rows``
    (later days of its assets, or new assets), both in (ativo, data) order."""
    first_close = previous_state(stored, complete=False).history.first_close.to_dict()
    rows = rows.select(STATE_COLUMNS).replace_schema_metadata(None)
    names = sorted_names(stored.column("ativo"), rows.column("ativo"))
    order = merged_order(
        sort_keys(stored, asset_codes(stored.column("ativo"), names)),
        sort_keys(rows, asset_codes(rows.column("ativo"), names)),
    )
    stored = stored.select(STATE_COLUMNS).cast(rows.schema)
    merged = pa.concat_tables([stored, rows]).take(pa.array(order))
    return tail_state(merged, lookback, first_close)
