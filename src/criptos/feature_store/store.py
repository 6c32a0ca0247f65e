"""One table of the feature store at one location: written, appended to, compacted and
published, always atomically.

Layouts (``layout``): ``file`` is one Parquet file; ``parts`` a folder of sorted parts,
the deltas of later daily runs and the stored state (``criptos.feature_store.parts``).

- ``write(content)`` makes the table ``content`` (``criptos.feature_store.content``):
  one file, or in the parts layout either ``append_delta`` — when the content only
  adds rows to the stored folder it continues, that folder's files are linked and the
  new rows become one delta file — or, after a late correction, on reaching
  ``max_delta_parts`` deltas, or with nothing to continue, ``compact``: the folder
  rewritten as sorted parts under new names.
- ``publish(source)`` makes the table a byte-for-byte copy of another stored one (hard
  links on the local disk, copies on object stores). This is how a run's dated table
  becomes ``cripto_features_latest``: the pipeline's ``publish_latest_features`` node
  hands the dated table's location to the latest dataset, whose save calls this, and
  nothing else relates the two.

Atomicity: on the local disk a file is written beside its target and renamed over
it, a folder is built beside its target and swapped in with one
``renameat2(RENAME_EXCHANGE)`` (``criptos.storage.local_files``): readers, and a
``kill -9`` at any instant, find the old table or the new, never a mix. Object stores
publish an object once its upload completes, so one file is atomic there too; a
folder is completed first and the files it no longer has are deleted last (readers
during that moment may see both).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from criptos.feature_store.content import TableContent
from criptos.feature_store.files import (
    link_or_copy,
    name_of,
    with_metadata,
    write_stream,
    write_table,
)
from criptos.feature_store.location import StoredTable, TableLocation
from criptos.feature_store.parts import STATE_FILE, PartsTable, delta_name, part_name
from criptos.storage.local_files import (
    publish_folder,
    put_in_place,
    remove_stale_leftovers,
    staging_path,
)

logger = logging.getLogger(__name__)

LAYOUTS = ("file", "parts")
PartWriter = Callable[[str, pa.Table], None]
# A file of a folder being written: (name, path of a stored file to link there), or
# (name, None) for a file just written with the PartWriter.
FolderFile = tuple[str, str | None]


@dataclass(frozen=True)
class FeatureTableStore:
    """The table at ``location``, kept in ``layout`` (see the module docstring)."""

    location: TableLocation
    layout: str = "file"
    compression: str = "snappy"
    max_delta_parts: int = 30

    def __post_init__(self) -> None:
        if self.layout not in LAYOUTS:
            raise ValueError(
                f"layout must be one of {', '.join(LAYOUTS)}, got {self.layout!r}"
            )
        if self.max_delta_parts < 0:
            raise ValueError(
                f"max_delta_parts must be >= 0, got {self.max_delta_parts}"
            )

    def open(self) -> StoredTable | None:
        """The stored table (either layout), or None if there is none."""
        return self.location.open()

    def read(self, columns: list[str] | None = None) -> pa.Table:
        """The stored table (or ``columns`` of it), in (ativo, data) order."""
        table = self.open()
        if table is None:
            raise FileNotFoundError(f"no table at {self.location.path}")
        return table.read(columns)

    def write(self, content: TableContent) -> None:
        """The table becomes ``content``, in this store's layout."""
        if self.layout == "file":
            self._write_file(content)
            return
        appended = content.appended()
        base = content.continues
        if appended is not None and isinstance(base, PartsTable):
            if len(base.deltas) < self.max_delta_parts:
                self.append_delta(base, appended, content)
                return
            logger.info(
                "Compacting %d delta files (max_delta_parts=%d) into sorted parts",
                len(base.deltas),
                self.max_delta_parts,
            )
        self.compact(content, appended)

    def append_delta(
        self, base: PartsTable, appended: pa.Table, content: TableContent
    ) -> None:
        """The folder becomes ``base``'s parts and deltas (linked, or copied on object
        stores), ``appended`` as one more delta file, and ``content``'s state."""

        def files(write: PartWriter) -> Iterator[FolderFile]:
            yield from ((name_of(p), p) for p in (*base.base, *base.deltas))
            if appended.num_rows:
                name = delta_name(len(base.deltas) + 1)
                logger.info(
                    "Appending %d rows to %s as %s", appended.num_rows, base.path, name
                )
                write(name, with_metadata(appended, content.metadata))
                yield name, None
            write(STATE_FILE, with_metadata(content.state(), content.metadata))
            yield STATE_FILE, None

        self._write_folder(files)

    def compact(self, content: TableContent, appended: pa.Table | None = None) -> None:
        """The folder becomes ``content`` as sorted parts under new names (each part
        whole assets), with its state: ``content.state()`` when the content only
        appended rows (``appended``), else the parts' states, if it gives them."""
        generation = uuid.uuid4().hex[:8]  # new names: no file still read is rewritten

        def files(write: PartWriter) -> Iterator[FolderFile]:
            states: dict[int, pa.Table] = {}

            def write_part(index: int, table: pa.Table) -> str:
                write(
                    part_name(index, generation), with_metadata(table, content.metadata)
                )
                if content.part_state is not None:
                    states[index] = content.part_state(table)
                return part_name(index, generation)

            yield from ((name, None) for name in content.map_tables(write_part))
            if appended is not None and content.state is not None:
                state = content.state()
            elif states:
                state = pa.concat_tables(states[i] for i in sorted(states))
            else:
                return
            write(STATE_FILE, with_metadata(state, content.metadata))
            yield STATE_FILE, None

        self._write_folder(files)

    def publish(self, source: TableLocation) -> None:
        """The table becomes a copy of the stored table at ``source``, byte for byte and
        in its layout: hard links of its files, replaced atomically (copies on object
        stores). How the dated features become the latest (module docstring)."""
        if source.is_folder():
            files = PartsTable.open(source.filesystem, source.path).files()
            self._write_folder(lambda write: files)
        elif not self.location.is_local:
            self.location.filesystem.copy(source.path, self.location.path)
        else:
            self._replace_file(lambda temporary: link_or_copy(source.path, temporary))

    def write_frame(self, frame: pd.DataFrame, to_parquet_args: dict[str, Any]) -> None:
        """The table becomes ``frame`` as one file written by pandas (``to_parquet``)."""
        if not self.location.is_local:
            with self.location.filesystem.open(self.location.path, mode="wb") as sink:
                frame.to_parquet(sink, **to_parquet_args)
            return
        self._replace_file(
            lambda temporary: frame.to_parquet(temporary, **to_parquet_args)
        )

    def _write_file(self, content: TableContent) -> None:
        def write(sink: Any) -> None:
            write_stream(content.tables(), sink, self.compression, content.metadata)

        if not self.location.is_local:
            with self.location.filesystem.open(self.location.path, mode="wb") as sink:
                write(sink)
            return
        self._replace_file(lambda temporary: write(str(temporary)))

    def _replace_file(self, write: Callable[[Path], object]) -> None:
        """Write the table as one file with ``write(path)`` beside its target, then
        rename it there atomically, replacing a file or a folder (local disk)."""
        target = Path(self.location.path)
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

    def _write_folder(
        self, files: Callable[[PartWriter], Iterable[FolderFile]]
    ) -> None:
        """The folder becomes exactly ``files(write)``: built beside the target and
        swapped in (local disk), or completed in place and pruned (object stores)."""
        path = self.location.path
        filesystem = self.location.filesystem
        if not self.location.is_local:

            def write_remote(name: str, table: pa.Table) -> None:
                with filesystem.open(f"{path}/{name}", mode="wb") as sink:
                    write_table(table, sink, self.compression)

            _complete_remote_folder(filesystem, path, files(write_remote))
            return

        def fill(staging: Path) -> None:
            def write_local(name: str, table: pa.Table) -> None:
                write_table(table, str(staging / name), self.compression)

            for name, source in files(write_local):
                if source is not None:
                    link_or_copy(source, staging / name)

        publish_folder(Path(path), fill)


def _complete_remote_folder(
    filesystem: Any, folder: str, files: Iterable[FolderFile]
) -> None:
    """Complete a folder on an object store, then delete the files it no longer has.

    Object stores have no atomic folder swap: readers during the save may see a mix.
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
