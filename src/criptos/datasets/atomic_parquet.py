"""A Parquet dataset whose file is replaced atomically: readers see old or new, never half."""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, Protocol, runtime_checkable

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from kedro.io.core import get_filepath_str
from kedro_datasets.pandas import ParquetDataset

logger = logging.getLogger(__name__)


@runtime_checkable
class TableStream(Protocol):
    """A table too large to hold at once, produced as Arrow tables in final row order."""

    written_to: str | None

    def iter_tables(self) -> Iterator[pa.Table]: ...


def _dictionary_columns(schema: pa.Schema) -> list[str]:
    """Text columns: dictionary encoding pays off there, not on float columns."""
    return [
        field.name
        for field in schema
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type)
    ]


def write_stream(stream: TableStream, sink: str | BinaryIO, compression: str) -> int:
    """Write every table of ``stream`` as row groups of one Parquet file; return the rows."""
    writer: pq.ParquetWriter | None = None
    rows = 0
    try:
        for produced in stream.iter_tables():
            table = produced
            if writer is None:
                schema = table.schema
                writer = pq.ParquetWriter(
                    sink,
                    schema,
                    compression=compression,
                    use_dictionary=_dictionary_columns(schema),
                    # min/max statistics where readers filter on them (about 8 % faster)
                    write_statistics=[name for name in ("ativo", "data") if name in schema.names],
                )
            elif table.schema != writer.schema:
                table = table.cast(writer.schema)
            writer.write_table(table)
            rows += table.num_rows
    finally:
        if writer is not None:
            writer.close()
    return rows


def _link_or_copy(source: str, target: Path) -> None:
    """A hard link to ``source`` (instant, same bytes), or a copy across file systems.

    Safe because this dataset never writes a file in place: every save makes a new
    file and renames it over the old name, so linked names never change together.
    """
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


class AtomicParquetDataset(ParquetDataset):
    """``pandas.ParquetDataset`` that never leaves a partially written file behind.

    On the local disk the data is written to a temporary file beside the target and
    moved over it with ``os.replace``. Object stores (S3) publish an object only once
    its upload completes, so there the plain write is already atomic.

    Besides a DataFrame, ``save`` takes a ``TableStream`` (for example
    ``criptos.features.FeatureTable``), written row group by row group so the whole
    table never sits in memory. A stream already written to a complete file is
    hard-linked (or copied) byte for byte instead of being computed again.
    """

    DEFAULT_SAVE_ARGS = {"compression": "snappy", "index": False}

    def save(self, data: pd.DataFrame | TableStream) -> None:
        path = get_filepath_str(self._get_save_path(), self._protocol)
        if isinstance(data, TableStream):
            self._save_stream(data, path)
        elif self._protocol != "file":
            super().save(data)
            return
        else:
            self._replace_atomically(
                path, lambda temporary: data.to_parquet(temporary, **self._save_args)
            )
        self._invalidate_cache()

    def _save_stream(self, stream: TableStream, path: str) -> None:
        compression = self._save_args.get("compression", "snappy")
        source = stream.written_to
        if self._protocol != "file":
            if source is not None:
                self._fs.copy(source, path)
            else:
                with self._fs.open(path, mode="wb") as sink:
                    write_stream(stream, sink, compression)
        elif source is not None and Path(source).is_file():
            self._replace_atomically(
                path, lambda temporary: _link_or_copy(source, temporary)
            )
        else:
            self._replace_atomically(
                path,
                lambda temporary: write_stream(stream, str(temporary), compression),
            )
        stream.written_to = path

    @staticmethod
    def _replace_atomically(path: str, write: Any) -> None:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        try:
            write(temporary)
            os.replace(temporary, target)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        logger.debug("Replaced %s atomically", target)
