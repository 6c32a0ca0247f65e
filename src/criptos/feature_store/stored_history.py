"""The candle history as stored: its Parquet metadata, per-asset summary and reader.

A history table's key/value metadata (``HISTORY_KEY``) says that criptos wrote it and
names its generation (a new id on every write). A folder (parts layout) also stores
its per-asset summary (first day, last day, number of days) as ``_state.parquet``, so
that a daily append learns each asset's last day without reading the history.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from criptos.contracts.errors import InputError
from criptos.feature_store.location import StoredTable, TableLocation
from criptos.features.definitions import INPUT_COLUMNS, KEY_COLUMNS
from criptos.features.row_order import asset_codes, sorted_names

logger = logging.getLogger(__name__)

HISTORY_KEY = "criptos.history"
FORMAT_VERSION = 1
# The stored summary of a history folder (its _state.parquet): one row per asset.
SUMMARY_COLUMNS = ("ativo", "primeiro_dia", "ultimo_dia", "dias")
REBUILD_COMMAND = "kedro run --pipelines feature_engineering --params feature_engineering.ingest=snapshot"


class HistoryError(InputError):
    """The stored history cannot be continued (missing, unreadable, not written by criptos)."""


def history_metadata(
    generation: str, ingest: dict[str, Any] | None = None
) -> dict[bytes, bytes]:
    """Parquet key/value metadata of a history table of ``generation``; ``ingest``
    describes the run that wrote it (mode, what changed, the validation outcome)."""
    value = {"format": FORMAT_VERSION, "generation": generation, "ingest": ingest}
    return {HISTORY_KEY.encode(): json.dumps(value, default=str).encode()}


def history_generation(metadata: dict[str, Any]) -> str | None:
    """The generation recorded in a table's decoded metadata, if criptos wrote it."""
    value = metadata.get(HISTORY_KEY)
    if not isinstance(value, dict) or value.get("format") != FORMAT_VERSION:
        return None
    return str(value.get("generation"))


def summarise(candles: pa.Table) -> pa.Table:
    """Per asset of sorted candles: first day, last day and number of days."""
    assets = candles.column("ativo")
    names = sorted_names(assets)
    codes = asset_codes(assets, names)  # Arrow hashing: no Python string per row
    days = candles.column("data").to_numpy().astype("datetime64[ns]")
    starts = (
        np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else codes
    )
    stops = np.r_[starts[1:], len(codes)].astype(np.int64)
    return pa.table(
        {
            "ativo": pa.array(names[codes[starts]], pa.large_string()),
            "primeiro_dia": pa.array(days[starts], pa.timestamp("ns")),
            "ultimo_dia": pa.array(days[stops - 1], pa.timestamp("ns")),
            "dias": pa.array(stops - starts, pa.int64()),
        }
    )


def merge_summaries(stored: pa.Table, appended: pa.Table) -> pa.Table:
    """The summary of a history after ``appended`` rows (later days, new assets)."""
    both = pa.concat_tables([stored.select(list(SUMMARY_COLUMNS)), summarise(appended)])
    merged = both.group_by("ativo").aggregate(
        [("primeiro_dia", "min"), ("ultimo_dia", "max"), ("dias", "sum")]
    )
    merged = merged.rename_columns(
        [
            name.rsplit("_", 1)[0] if name != "ativo" else name
            for name in merged.column_names
        ]
    )
    return merged.select(list(SUMMARY_COLUMNS)).sort_by("ativo")


@dataclass(frozen=True)
class StoredHistory:
    """The history as stored before this run: where it is and how to read it."""

    table: StoredTable
    generation: str
    path: str

    def summary(self) -> pa.Table:
        """Per-asset summary: the folder's stored one, else computed from the keys."""
        stored = self.table.read_state()
        if stored is not None and set(SUMMARY_COLUMNS) <= set(stored.column_names):
            return stored.select(list(SUMMARY_COLUMNS))
        return summarise(self.table.read(list(KEY_COLUMNS)))

    def candles(self) -> pd.DataFrame:
        """Every stored candle, in (ativo, data) order."""
        return as_candles(self.table.read(list(INPUT_COLUMNS)))


def as_candles(table: pa.Table) -> pd.DataFrame:
    frame = table.select(list(INPUT_COLUMNS)).replace_schema_metadata(None).to_pandas()
    frame["data"] = frame["data"].astype("datetime64[ns]")
    return frame


def open_stored(location: TableLocation, required: bool) -> StoredHistory | None:
    """The stored history at ``location``, or None if absent.

    ``required`` (append): a missing, unreadable or foreign history is an error that
    names the file and the command rebuilding it, since appending to nothing would
    silently shrink the history to the new days. Otherwise (snapshot) such a history
    is only replaced, with a warning.
    """

    def refuse(problem: str) -> None:
        message = (
            f"the candle history {location.path} {problem}; ingest=append adds new days "
            "to a stored history, so there is nothing to append to. Rebuild it from a "
            f"raw file holding the whole history: {REBUILD_COMMAND}"
        )
        if required:
            raise HistoryError(message)
        logger.warning("Replacing the candle history: %s %s", location.path, problem)

    if not location.exists():
        if required:
            refuse("does not exist")
        return None
    try:
        generation = history_generation(location.metadata())
        table = location.open() if generation is not None else None
        if table is not None:
            table.check()  # a folder: a truncated part fails here
    except (OSError, ValueError, pa.ArrowException) as error:
        refuse(f"cannot be read ({error})")
        return None
    if generation is None:
        refuse("was not written by criptos (no criptos.history metadata)")
        return None
    return StoredHistory(table=table, generation=generation, path=location.path)
