"""What the feature store writes: one table in (ativo, data) order, as a ``TableContent``.

A content says everything the store needs to write a table in either layout, so the
store never asks the objects it is handed what they can do:

- its tables, batch by batch (``map_tables`` hands each to a function — a part's
  write — possibly on worker threads), and the metadata every file records;
- for a daily run, the stored table it continues (``continues``), the rows it adds
  after it (``appended``: None when stored rows changed) and the state to store
  after them (``state``), so that a folder gets one delta instead of a rewrite;
- the state of one part of whole assets (``part_state``), for a rewritten folder.

``content_of`` says, in this one place, what each kind of table the project stores
gives: a pandas frame, the candle history, a full or an incremental feature table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa

from criptos.feature_store.candle_history import CandleHistory
from criptos.feature_store.stored_history import summarise
from criptos.features.incremental import IncrementalFeatureTable
from criptos.features.state import PreviousTable
from criptos.features.table import FeatureTable

PartFunction = Callable[[int, pa.Table], Any]


def _nothing_appended() -> pa.Table | None:
    return None


@dataclass(frozen=True)
class TableContent:
    """A table to store (see the module docstring)."""

    map_tables: Callable[[PartFunction], Iterator[Any]]
    metadata: dict[bytes, bytes] = field(default_factory=dict)
    continues: PreviousTable | None = None
    appended: Callable[[], pa.Table | None] = _nothing_appended
    state: Callable[[], pa.Table] | None = None
    part_state: Callable[[pa.Table], pa.Table] | None = None

    def tables(self) -> Iterator[pa.Table]:
        """The whole table, in (ativo, data) order."""
        return self.map_tables(lambda _, table: table)


def in_order(
    tables: Callable[[], Iterator[pa.Table]],
) -> Callable[[PartFunction], Iterator[Any]]:
    """A ``map_tables`` applying the function to each table of ``tables()`` in turn."""

    def map_tables(function: PartFunction) -> Iterator[Any]:
        return (function(index, table) for index, table in enumerate(tables()))

    return map_tables


def content_of(
    data: pd.DataFrame | CandleHistory | FeatureTable | IncrementalFeatureTable,
) -> TableContent:
    """The content of a table the project stores."""
    if isinstance(data, pd.DataFrame):
        table = pa.Table.from_pandas(data, preserve_index=False)
        return TableContent(map_tables=in_order(lambda: iter([table])))
    if isinstance(data, CandleHistory):
        return TableContent(
            map_tables=in_order(data.iter_tables),
            metadata=data.schema_metadata,
            continues=None if data.stored is None else data.stored.table,
            appended=data.appended_rows,
            state=lambda: data.summary,
            part_state=summarise,
        )
    if isinstance(data, IncrementalFeatureTable):
        return TableContent(
            map_tables=in_order(data.iter_tables),
            metadata=data.schema_metadata,
            continues=data.previous,
            appended=data.appended_rows,
            state=data.next_state,
        )  # no part_state: after a late correction the next run reads the whole table
    if isinstance(data, FeatureTable):
        return TableContent(
            map_tables=data.map_batches,  # parts computed and written on worker threads
            metadata=data.schema_metadata,
            part_state=data.tail_state,
        )
    raise TypeError(
        f"the feature store cannot write a {type(data).__name__}: it writes pandas "
        "frames, the candle history and feature tables"
    )
