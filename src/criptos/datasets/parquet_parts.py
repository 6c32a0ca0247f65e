"""The ``parts`` layout of a feature table: a folder of Parquet files that a day appends to.

::

    cripto_features_latest.parquet/
        part-00000-<id>.parquet ...  (ativo, data) order across the parts
        delta-00001.parquet ...      rows appended by later daily runs (new days, assets)

Every Parquet reader (pandas, pyarrow, Spark, DuckDB, Athena) reads the folder as one
table. A daily run that only adds days writes one small ``delta`` file and hard-links
the unchanged ones (copies them on object stores), so its cost does not grow with the
history. A late correction, or reaching ``max_delta_parts``, makes the next run
rewrite the folder as sorted parts (compaction).

On the local disk a folder is built beside its target and swapped in with one atomic
``renameat2(RENAME_EXCHANGE)``: readers see the old folder or the new, never a mix.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from criptos.features.row_order import (
    asset_codes,
    codes_of,
    interleave,
    merged_order,
    sort_keys,
    sorted_names,
)
from criptos.features.state import STATE_FILE

logger = logging.getLogger(__name__)

PART_PREFIX = "part-"
DELTA_PREFIX = "delta-"
SUFFIX = ".parquet"
LAYOUTS = ("file", "parts")


def writer_options(schema: pa.Schema, compression: str) -> dict[str, Any]:
    """Parquet writer settings of every feature file: dictionaries for text columns only
    (they do not pay off on floats), statistics where readers filter (ativo, data)."""
    text = [
        field.name
        for field in schema
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type)
    ]
    return {
        "compression": compression,
        "use_dictionary": text,
        "write_statistics": [n for n in ("ativo", "data") if n in schema.names],
    }


def write_table(table: pa.Table, sink: Any, compression: str) -> None:
    """One Parquet file holding ``table`` (``sink``: a path or a binary file object)."""
    pq.write_table(table, sink, **writer_options(table.schema, compression))


def name_of(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


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


def _read(filesystem: Any, path: str, columns: list[str] | None = None) -> pa.Table:
    if _is_local(filesystem):
        return pq.read_table(path, columns=columns, memory_map=False)
    with filesystem.open(path, mode="rb") as stream:
        return pq.read_table(stream, columns=columns)


def _is_local(filesystem: Any) -> bool:
    protocol = filesystem.protocol
    return "file" in ((protocol,) if isinstance(protocol, str) else tuple(protocol))


@dataclass(frozen=True)
class PartsTable:
    """A feature folder as one table in (ativo, data) order: deltas are merged into the
    sorted base parts by key, without a general sort."""

    path: str
    filesystem: Any
    base: tuple[str, ...]
    deltas: tuple[str, ...]

    @classmethod
    def open(cls, filesystem: Any, path: str) -> PartsTable:
        base, deltas = list_parts(filesystem, path)
        return cls(path, filesystem, tuple(base), tuple(deltas))

    def _parquet_file(self, path: str) -> pq.ParquetFile:
        if _is_local(self.filesystem):
            return pq.ParquetFile(path, memory_map=False, pre_buffer=False)
        return pq.ParquetFile(self.filesystem.open(path, mode="rb"), pre_buffer=False)

    def read_state(self) -> pa.Table | None:
        """The stored state beside the table (``criptos.features.state``), if any."""
        path = f"{self.path}/{STATE_FILE}"
        if not self.filesystem.exists(path):
            return None
        return _read(self.filesystem, path)

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
        return pa.concat_tables(_read(self.filesystem, p, columns) for p in self.deltas)

    def read(self, columns: list[str] | None = None) -> pa.Table:
        """The whole table (or ``columns`` of it) in (ativo, data) order."""
        wanted = (
            None
            if columns is None
            else list(dict.fromkeys(["ativo", "data", *columns]))
        )
        base = pa.concat_tables(_read(self.filesystem, p, wanted) for p in self.base)
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
        base = [_read(self.filesystem, p, ["ativo"]).column("ativo") for p in self.base]
        return sorted_names(*base, deltas.column("ativo"))


# -- writing folders -----------------------------------------------------------------


def link_or_copy(source: str, target: Path) -> None:
    """A hard link to ``source`` (instant, same bytes), or a copy across file systems.

    Safe because no file of a feature table is ever written in place: every save
    makes new files, so linked names never change together.
    """
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def part_name(index: int, generation: str) -> str:
    """Name of a base part; ``generation`` is unique per write, so that rewriting a
    folder in place (object stores) never overwrites a file still being read."""
    return f"{PART_PREFIX}{index:05d}-{generation}{SUFFIX}"


def delta_name(index: int) -> str:
    return f"{DELTA_PREFIX}{index:05d}{SUFFIX}"


def write_remote_folder(
    filesystem: Any,
    folder: str,
    files: Iterable[tuple[str, str | None]],
) -> None:
    """Complete a feature folder on an object store, then delete the files it no
    longer has.

    ``files``: (name, path of an object to copy there, or None for a file already
    written). Object stores have no atomic folder swap: readers during the save may
    see a mix.
    """
    kept = set()
    for name, source in files:
        kept.add(name)
        target = f"{folder}/{name}"
        if source is not None and source != target:
            filesystem.copy(source, target)
    if filesystem.exists(folder):
        for entry in filesystem.ls(folder, detail=False):
            if name_of(entry) not in kept:
                filesystem.rm(entry)
    filesystem.invalidate_cache(folder)
