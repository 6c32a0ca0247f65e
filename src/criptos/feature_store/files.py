"""Parquet files of the feature store: how each one is written and read, on the local
disk or an object store.

Every file of a table (one file, a folder's parts, deltas and state) is written with
the same settings (``writer_options``) and records the table's key/value metadata
(``with_metadata``). No file is ever written in place, so a hard link of one
(``link_or_copy``) keeps its bytes for good.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq


def is_local(filesystem: Any) -> bool:
    """Whether an fsspec file system is the local disk."""
    protocol = filesystem.protocol
    return "file" in ((protocol,) if isinstance(protocol, str) else tuple(protocol))


def name_of(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


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


def with_metadata(table: pa.Table, metadata: dict[bytes, bytes]) -> pa.Table:
    """``table`` with ``metadata`` over its own keys: what every file of a table records."""
    if not metadata:
        return table
    return table.replace_schema_metadata({**(table.schema.metadata or {}), **metadata})


def write_table(table: pa.Table, sink: Any, compression: str) -> None:
    """One Parquet file holding ``table`` (``sink``: a path or a binary file object)."""
    pq.write_table(table, sink, **writer_options(table.schema, compression))


def write_stream(
    tables: Iterable[pa.Table],
    sink: str | BinaryIO,
    compression: str,
    metadata: dict[bytes, bytes],
) -> int:
    """Write ``tables`` as the row groups of one Parquet file; return the rows."""
    writer: pq.ParquetWriter | None = None
    rows = 0
    try:
        for produced in tables:
            table = with_metadata(produced, metadata)
            if writer is None:
                writer = pq.ParquetWriter(
                    sink, table.schema, **writer_options(table.schema, compression)
                )
            elif table.schema != writer.schema:
                table = table.cast(writer.schema)
            writer.write_table(table)
            rows += table.num_rows
    finally:
        if writer is not None:
            writer.close()
    return rows


def parquet_file(filesystem: Any, path: str) -> pq.ParquetFile:
    """An open Parquet file (its footer read), to read by columns or stream by batches.

    On the local disk Arrow's own reader: several times faster than a Python file
    object, and without memory mapping the pages read are not kept.
    """
    if is_local(filesystem):
        return pq.ParquetFile(path, memory_map=False, pre_buffer=False)
    return pq.ParquetFile(filesystem.open(path, mode="rb"), pre_buffer=False)


def read_table(
    filesystem: Any, path: str, columns: list[str] | None = None
) -> pa.Table:
    """One whole Parquet file (or ``columns`` of it)."""
    if is_local(filesystem):
        return pq.read_table(path, columns=columns, memory_map=False)
    with filesystem.open(path, mode="rb") as stream:
        return pq.read_table(stream, columns=columns)


def read_schema(filesystem: Any, path: str) -> pa.Schema:
    with filesystem.open(path, mode="rb") as stream:
        return pq.read_schema(stream)


def link_or_copy(source: str, target: Path) -> None:
    """A hard link to ``source`` (instant, same bytes), or a copy across file systems.

    Safe because no file of a table is ever written in place: every save makes new
    files, so linked names never change together.
    """
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
