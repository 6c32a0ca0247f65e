"""The ``parts`` layout of a table: a folder of Parquet files that a day appends to.

::

    cripto_features_latest.parquet/
        part-00000-<id>.parquet ...  (ativo, data) order across the parts
        delta-00001.parquet ...      rows appended by later daily runs (new days, assets)
        _state.parquet               what the next daily run continues from

Every Parquet reader (pandas, pyarrow, Spark, DuckDB, Athena) reads the folder as one
table (``_state.parquet`` is a name they skip); ``PartsTable`` reads it in (ativo,
data) order. The state is each asset's last rows and first close for a feature table
(``criptos.features.state``), its per-asset summary for the candle history
(``criptos.feature_store.stored_history``). How folders are written (a delta
appended, or the folder compacted into sorted parts) is ``criptos.feature_store.store``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from criptos.feature_store.files import name_of, parquet_file, read_table
from criptos.features.row_order import (
    asset_codes,
    codes_of,
    interleave,
    merged_order,
    sort_keys,
    sorted_names,
)
from criptos.features.state import PreviousTable

PART_PREFIX = "part-"
DELTA_PREFIX = "delta-"
SUFFIX = ".parquet"
STATE_FILE = "_state.parquet"


def part_name(index: int, generation: str) -> str:
    """Name of a base part; ``generation`` is unique per write, so that rewriting a
    folder in place (object stores) never overwrites a file still being read."""
    return f"{PART_PREFIX}{index:05d}-{generation}{SUFFIX}"


def delta_name(index: int) -> str:
    return f"{DELTA_PREFIX}{index:05d}{SUFFIX}"


def list_parts(filesystem: Any, folder: str) -> tuple[list[str], list[str]]:
    """Paths of the base parts and of the deltas in ``folder``, each in name order."""
    names = sorted(
        name_of(entry)
        for entry in filesystem.ls(folder, detail=False)
        if name_of(entry).endswith(SUFFIX) and not name_of(entry).startswith(("_", "."))
    )
    base = [f"{folder}/{n}" for n in names if n.startswith(PART_PREFIX)]
    deltas = [f"{folder}/{n}" for n in names if n.startswith(DELTA_PREFIX)]
    unknown = set(names) - {name_of(p) for p in base + deltas}
    if unknown:
        raise ValueError(
            f"{folder} is not a feature folder written by criptos: unexpected files "
            f"{sorted(unknown)[:5]}"
        )
    if not base:
        raise ValueError(f"{folder} holds no {PART_PREFIX}*{SUFFIX} file")
    return base, deltas


@dataclass(frozen=True)
class PartsTable(PreviousTable):
    """A folder as one table in (ativo, data) order: deltas are merged into the sorted
    base parts by key, without a general sort."""

    path: str
    filesystem: Any
    base: tuple[str, ...]
    deltas: tuple[str, ...]

    @classmethod
    def open(cls, filesystem: Any, path: str) -> PartsTable:
        base, deltas = list_parts(filesystem, path)
        return cls(path, filesystem, tuple(base), tuple(deltas))

    def _parquet_file(self, path: str) -> pq.ParquetFile:
        return parquet_file(self.filesystem, path)

    def read_state(self) -> pa.Table | None:
        """The state stored beside the table, if any."""
        path = f"{self.path}/{STATE_FILE}"
        if not self.filesystem.exists(path):
            return None
        return read_table(self.filesystem, path)

    def files(self) -> list[tuple[str, str]]:
        """(name, path) of every file of the folder: parts, deltas and the state."""
        files = [(name_of(p), p) for p in (*self.base, *self.deltas)]
        state = f"{self.path}/{STATE_FILE}"
        if self.filesystem.exists(state):
            files.append((STATE_FILE, state))
        return files

    @property
    def schema_arrow(self) -> pa.Schema:
        return self._parquet_file(self.base[0]).schema_arrow

    def check(self) -> None:
        """Read every file's footer: a truncated or foreign file raises here."""
        for path in (*self.base, *self.deltas):
            self._parquet_file(path)

    def _deltas(self, columns: list[str] | None) -> pa.Table | None:
        if not self.deltas:
            return None
        return pa.concat_tables(
            read_table(self.filesystem, p, columns) for p in self.deltas
        )

    def read(self, columns: list[str] | None = None) -> pa.Table:
        """The whole table (or ``columns`` of it) in (ativo, data) order."""
        wanted = (
            None
            if columns is None
            else list(dict.fromkeys(["ativo", "data", *columns]))
        )
        base = pa.concat_tables(
            read_table(self.filesystem, p, wanted) for p in self.base
        )
        deltas = self._deltas(wanted)
        if deltas is not None:
            names = sorted_names(base.column("ativo"), deltas.column("ativo"))
            delta_keys = sort_keys(deltas, asset_codes(deltas.column("ativo"), names))
            delta_order = np.argsort(delta_keys, kind="stable")
            deltas = deltas.take(pa.array(delta_order)).select(base.column_names)
            order = merged_order(
                sort_keys(base, asset_codes(base.column("ativo"), names)),
                delta_keys[delta_order],
            )
            base = pa.concat_tables([base, deltas]).take(pa.array(order))
        return base if columns is None else base.select(columns)

    def iter_batches(self, batch_size: int) -> Iterator[pa.RecordBatch]:
        """The whole table in (ativo, data) order, streamed: base parts batch by batch,
        with delta rows merged in once every base row of their asset has passed."""
        base_batches = (
            batch
            for path in self.base
            for batch in self._parquet_file(path).iter_batches(batch_size)
        )
        deltas = self._deltas(None)
        if deltas is None:
            yield from base_batches
            return
        names = self._names(deltas)
        keys = sort_keys(deltas, asset_codes(deltas.column("ativo"), names))
        order = np.argsort(keys, kind="stable")
        deltas, keys = deltas.take(pa.array(order)), keys[order]
        codes, pending = codes_of(keys), 0
        for batch in base_batches:
            if batch.num_rows == 0:
                continue
            chunk = pa.Table.from_batches([batch])
            chunk_codes = asset_codes(chunk.column("ativo"), names)
            # Rows of the batch's last asset may continue in the next batch: wait.
            bound = int(np.searchsorted(codes, chunk_codes[-1], side="left"))
            merged = interleave(
                chunk,
                sort_keys(chunk, chunk_codes),
                deltas.slice(pending, bound - pending).select(chunk.column_names),
                keys[pending:bound],
            )
            pending = bound
            yield from merged.to_batches()
        yield from deltas.slice(pending).to_batches()

    def _names(self, deltas: pa.Table) -> np.ndarray:
        """Every asset name of the table, sorted."""
        base = [
            read_table(self.filesystem, p, ["ativo"]).column("ativo") for p in self.base
        ]
        return sorted_names(*base, deltas.column("ativo"))
