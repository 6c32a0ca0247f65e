"""A Parquet dataset whose file is replaced atomically: readers see old or new, never half."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, Protocol, runtime_checkable

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from kedro.io import DatasetError
from kedro.io.core import get_filepath_str
from kedro_datasets.pandas import ParquetDataset

from criptos.datasets.local_files import (
    publish_folder,
    put_in_place,
    remove_stale_leftovers,
    staging_path,
)
from criptos.datasets.parquet_parts import (
    LAYOUTS,
    STATE_FILE,
    PartsTable,
    delta_name,
    link_or_copy,
    list_parts,
    name_of,
    part_name,
    write_remote_folder,
    write_table,
    writer_options,
)

logger = logging.getLogger(__name__)


@runtime_checkable
class TableStream(Protocol):
    """A table too large to hold at once, produced as Arrow tables in final row order."""

    written_to: str | None

    def iter_tables(self) -> Iterator[pa.Table]: ...


@runtime_checkable
class DescribedStream(TableStream, Protocol):
    """A stream whose every file carries the same key/value metadata (what produced
    it): each written file gets it, a folder's state file and new deltas included."""

    @property
    def schema_metadata(self) -> dict[bytes, bytes]: ...


def _described(table: pa.Table, stream: object) -> pa.Table:
    """``table`` with the stream's metadata (over its own keys), when the stream has
    one: the one place where what a stream's files record is set."""
    if isinstance(stream, DescribedStream):
        metadata = {**(table.schema.metadata or {}), **stream.schema_metadata}
        return table.replace_schema_metadata(metadata)
    return table


@runtime_checkable
class AppendableStream(TableStream, Protocol):
    """A stream that continues a previous table and may only add rows to it."""

    def appended_rows(self) -> pa.Table | None:
        """The added rows, or None when previous rows changed too."""
        ...

    def next_state(self) -> pa.Table:
        """The stored state of the previous table plus the added rows."""
        ...


@runtime_checkable
class BatchMappable(TableStream, Protocol):
    """A stream that can hand each table to a function where it computes it."""

    def map_batches(
        self, function: Callable[[int, pa.Table], Any]
    ) -> Iterator[Any]: ...


@runtime_checkable
class StateStream(TableStream, Protocol):
    """A stream of whole assets that can give the stored state of each of its tables."""

    def tail_state(self, table: pa.Table) -> pa.Table: ...


PartWriter = Callable[[str, pa.Table], None]
FolderFile = tuple[str, str | None]


def write_stream(stream: TableStream, sink: str | BinaryIO, compression: str) -> int:
    """Write every table of ``stream`` as row groups of one Parquet file; return the rows."""
    writer: pq.ParquetWriter | None = None
    rows = 0
    try:
        for produced in stream.iter_tables():
            table = _described(produced, stream)
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


class AtomicParquetDataset(ParquetDataset):
    """``pandas.ParquetDataset`` that never leaves a partially written table behind.

    ``layout="file"`` (default) writes one Parquet file; ``layout="parts"`` a folder of
    Parquet files that daily runs append to (see ``criptos.datasets.parquet_parts``).
    Loading reads either, in (ativo, data) order.

    On the local disk the data is written beside the target and put in place with
    one atomic rename. Object stores (S3) publish an object only once its upload
    completes, so there a single file is already atomic (a folder is not).

    Besides a DataFrame, ``save`` takes a ``TableStream`` (for example
    ``criptos.features.FeatureTable``), written one table at a time so the whole
    table never sits in memory. A stream already written completely elsewhere (the
    dated table, when saving latest) is hard-linked (or copied) byte for byte
    instead of being computed again.
    """

    DEFAULT_SAVE_ARGS = {"compression": "snappy", "index": False}

    def __init__(
        self, *, layout: str = "file", max_delta_parts: int = 30, **kwargs: Any
    ) -> None:
        if layout not in LAYOUTS:
            raise DatasetError(
                f"layout must be one of {', '.join(LAYOUTS)}, got {layout!r}"
            )
        if int(max_delta_parts) < 0:
            raise DatasetError(f"max_delta_parts must be >= 0, got {max_delta_parts}")
        super().__init__(**kwargs)
        self._layout = layout
        self._max_delta_parts = int(max_delta_parts)

    def _describe(self) -> dict[str, Any]:
        return {**super()._describe(), "layout": self._layout}

    def load(self) -> pd.DataFrame:
        path = get_filepath_str(self._get_load_path(), self._protocol)
        if not self._fs.isdir(path):
            return super().load()
        columns = self._load_args.get("columns")
        return PartsTable.open(self._fs, path).read(columns).to_pandas()

    def save(self, data: pd.DataFrame | TableStream) -> None:
        path = get_filepath_str(self._get_save_path(), self._protocol)
        if self._layout == "parts":
            self._save_folder(data, path)
        elif isinstance(data, TableStream):
            self._save_stream(data, path)
        elif self._protocol != "file":
            super().save(data)
            return
        else:
            self._replace_atomically(
                path, lambda temporary: data.to_parquet(temporary, **self._save_args)
            )
        self._invalidate_cache()

    @property
    def _compression(self) -> str:
        return self._save_args.get("compression", "snappy")

    def _save_stream(self, stream: TableStream, path: str) -> None:
        source = stream.written_to
        if self._protocol != "file":
            if source is not None and self._fs.isfile(source):
                self._fs.copy(source, path)
            else:
                with self._fs.open(path, mode="wb") as sink:
                    write_stream(stream, sink, self._compression)
        elif source is not None and Path(source).is_file():
            self._replace_atomically(
                path, lambda temporary: link_or_copy(source, temporary)
            )
        else:
            self._replace_atomically(
                path,
                lambda temporary: write_stream(
                    stream, str(temporary), self._compression
                ),
            )
        stream.written_to = path

    def _folder_files(
        self, data: pd.DataFrame | TableStream, write: PartWriter
    ) -> Iterator[FolderFile]:
        """The new folder's files: (name, path of a file to link) for kept files, and
        (name, None) for each file handed to ``write(name, table)``."""
        generation = uuid.uuid4().hex[:8]
        if isinstance(data, pd.DataFrame):
            name = part_name(0, generation)
            write(name, pa.Table.from_pandas(data, preserve_index=False))
            yield name, None
            return
        source = data.written_to
        if source is not None and self._fs.isdir(source):
            yield from self._linked(source)
            return
        previous = getattr(data, "previous", None)
        appended = data.appended_rows() if isinstance(data, AppendableStream) else None
        if appended is not None and isinstance(previous, PartsTable):
            if len(previous.deltas) < self._max_delta_parts:
                yield from ((name_of(p), p) for p in previous.base + previous.deltas)
                if appended.num_rows:
                    name = delta_name(len(previous.deltas) + 1)
                    logger.info(
                        "Appending %d rows to %s as %s",
                        appended.num_rows,
                        previous.path,
                        name,
                    )
                    write(name, _described(appended, data))
                    yield name, None
                write(STATE_FILE, _described(data.next_state(), data))
                yield STATE_FILE, None
                return
            logger.info(
                "Compacting %d delta files (max_delta_parts=%d) into sorted parts",
                len(previous.deltas),
                self._max_delta_parts,
            )
        states: dict[int, pa.Table] = {}

        def write_part(index: int, table: pa.Table) -> str:
            write(part_name(index, generation), _described(table, data))
            if isinstance(data, StateStream):
                states[index] = data.tail_state(table)
            return part_name(index, generation)

        if isinstance(data, BatchMappable):  # parts written on the worker threads
            names = data.map_batches(write_part)
        else:
            names = (write_part(i, table) for i, table in enumerate(data.iter_tables()))
        yield from ((name, None) for name in names)
        if appended is not None:
            write(STATE_FILE, _described(data.next_state(), data))
            yield STATE_FILE, None
        elif states:
            state = pa.concat_tables(states[i] for i in sorted(states))
            write(STATE_FILE, _described(state, data))
            yield STATE_FILE, None

    def _linked(self, folder: str) -> Iterator[FolderFile]:
        base, deltas = list_parts(self._fs, folder)
        yield from ((name_of(p), p) for p in base + deltas)
        state = f"{folder}/{STATE_FILE}"
        if self._fs.exists(state):
            yield STATE_FILE, state

    def _save_folder(self, data: pd.DataFrame | TableStream, path: str) -> None:
        if self._protocol != "file":

            def write_remote(name: str, table: pa.Table) -> None:
                with self._fs.open(f"{path}/{name}", mode="wb") as sink:
                    write_table(table, sink, self._compression)

            write_remote_folder(self._fs, path, self._folder_files(data, write_remote))
        else:

            def fill(staging: Path) -> None:
                def write_local(name: str, table: pa.Table) -> None:
                    write_table(table, str(staging / name), self._compression)

                for name, source in self._folder_files(data, write_local):
                    if source is not None:
                        link_or_copy(source, staging / name)

            publish_folder(Path(path), fill)
        if isinstance(data, TableStream):
            data.written_to = path

    @staticmethod
    def _replace_atomically(path: str, write: Any) -> None:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_leftovers(target)
        temporary = staging_path(target)
        try:
            write(temporary)
            put_in_place(temporary, target)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        logger.debug("Replaced %s atomically", target)
