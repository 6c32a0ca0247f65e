"""The candle history: every clean candle the project has accepted, in (ativo, data) order.

Features are computed from the history, never from one raw file alone, so what a run
keeps never depends on what happened before it. How a run's clean candles change the
history is said by ``feature_engineering.ingest``:

- ``snapshot``: the raw file is the whole history; the history becomes exactly its
  clean candles (stored assets or days absent from it are dropped, and logged).
- ``append``: the raw file holds new days (or late corrections); the history becomes
  the stored candles plus the new ones, the new winning on the same (ativo, data).

The stored history is a Parquet table (``candles_history``) written like the feature
tables: a file replaced atomically, or a folder a daily run appends one file to
(``features_layout=parts``). Its metadata (``HISTORY_KEY``) says that criptos wrote
it and names its generation: a new id on every write, which the features record, so
that a feature table is continued only when it was built from the stored history.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from criptos.feature_store.stored_history import (
    StoredHistory,
    as_candles,
    history_metadata,
    merge_summaries,
    summarise,
)
from criptos.features.definitions import INPUT_COLUMNS, KEY_COLUMNS
from criptos.features.row_order import (
    asset_codes,
    keys_of,
    merged_order,
    sorted_names,
)
from criptos.features.table import ROWS_PER_BATCH, asset_batches

logger = logging.getLogger(__name__)

INGEST_MODES = ("snapshot", "append")
# What the history's metadata keeps of the validation report of the run that wrote it.
VALIDATION_OUTCOME = (
    "rows_read",
    "rows_valid",
    "rows_quarantined",
    "exact_duplicates_removed",
    "quarantined_by_rule",
    "accepted",
)
VALUE_COLUMNS = tuple(column for column in INPUT_COLUMNS if column not in KEY_COLUMNS)


@dataclass(frozen=True)
class HistoryChange:
    """What a run did to the history (the run's summary line)."""

    mode: str
    assets_before: int
    days_before: int
    assets_after: int
    days_after: int
    new_days: int
    corrected_days: int
    dropped_days: int
    new_assets: tuple[str, ...] = ()
    dropped_assets: tuple[str, ...] = ()
    shortened_assets: dict[str, int] = field(default_factory=dict)

    @property
    def only_grew(self) -> bool:
        """Nothing stored was dropped: the new history contains the old one's keys."""
        return self.dropped_days == 0

    def describe(self) -> str:
        return (
            f"history {self.assets_before} assets/{self.days_before} days -> "
            f"{self.assets_after} assets/{self.days_after} days "
            f"(+{self.new_days} new, ~{self.corrected_days} corrected, "
            f"-{self.dropped_days} dropped; ingest={self.mode})"
        )


@dataclass
class CandleHistory:
    """The history after this run, as a stream the feature-table datasets write.

    ``candles`` is the whole new history when it was built in memory; after a run
    that only added later days it is None and ``appended`` holds those rows, so a
    folder layout writes one small file and the stored history is read only if the
    table must be rewritten (file layout, compaction).
    """

    change: HistoryChange
    stored: StoredHistory | None
    new_candles: pd.DataFrame  # this run's clean candles (what the features continue)
    summary: pa.Table
    candles_in_memory: pd.DataFrame | None = None
    appended: pa.Table | None = None
    generation: str = field(default_factory=lambda: uuid.uuid4().hex)
    validation: dict[str, Any] = field(default_factory=dict)
    rows_per_batch: int = ROWS_PER_BATCH
    written_to: str | None = field(default=None, compare=False)

    @property
    def previous(self) -> Any:
        """The stored table this history appends to (parts layout), if any."""
        return None if self.stored is None else self.stored.table

    @property
    def previous_generation(self) -> str | None:
        return None if self.stored is None else self.stored.generation

    @property
    def schema_metadata(self) -> dict[bytes, bytes]:
        """What the history's files record (the dataset sets it on each): its
        generation and how this run made it."""
        ingest = {
            **asdict(self.change),
            "validation": {
                key: self.validation[key]
                for key in VALIDATION_OUTCOME
                if key in self.validation
            },
        }
        return history_metadata(self.generation, ingest)

    @property
    def num_rows(self) -> int:
        return self.change.days_after

    def candles(self) -> pd.DataFrame:
        """The whole new history in (ativo, data) order (read and merged if needed)."""
        if self.candles_in_memory is None:  # only after an append of later days
            self.candles_in_memory = _merge_sorted(
                self.stored.candles(), as_candles(self.appended)
            )
        return self.candles_in_memory

    def iter_tables(self) -> Iterator[pa.Table]:
        """The history as Arrow tables of whole assets, in (ativo, data) order."""
        candles = self.candles()
        table = pa.Table.from_pandas(candles, preserve_index=False)
        batches = asset_batches(candles["ativo"], self.rows_per_batch)
        for rows in batches or [slice(0, 0)]:
            yield table.slice(rows.start, rows.stop - rows.start)

    def appended_rows(self) -> pa.Table | None:
        """The rows added after the stored ones, or None when stored rows changed."""
        if self.appended is None or self.stored is None:
            return None
        return self.appended

    def next_state(self) -> pa.Table:
        """The stored summary (``_state.parquet`` of a folder) of the new history."""
        return self.summary

    def tail_state(self, table: pa.Table) -> pa.Table:
        """The summary of one table of whole assets (a folder's part)."""
        return summarise(table)


def _merge_sorted(first: pd.DataFrame, second: pd.DataFrame) -> pd.DataFrame:
    """Two candle frames, each in (ativo, data) order and with no key in common, as
    one in that order: a linear merge by key, not a sort on the text column."""
    names = _names(first, second)
    order = merged_order(_keys(first, names), _keys(second, names))
    both = pd.concat([first, second], ignore_index=True)
    return both.take(order).reset_index(drop=True)


def _keys(candles: pd.DataFrame, names: np.ndarray) -> np.ndarray:
    """The (ativo, data) sort key of every candle, asset codes taken from ``names``."""
    codes = asset_codes(pa.array(candles["ativo"], pa.large_string()), names)
    return keys_of(codes, candles["data"].to_numpy())


def _names(*frames: pd.DataFrame) -> np.ndarray:
    return sorted_names(*(pa.array(f["ativo"], pa.large_string()) for f in frames))


def _changed_rows(
    old: pd.DataFrame, old_at: np.ndarray, new: pd.DataFrame, new_at: np.ndarray
) -> int:
    """How many of the matched rows (old_at[i] ~ new_at[i]) differ in a value."""
    changed = np.zeros(len(old_at), dtype=bool)
    for column in VALUE_COLUMNS:
        before = old[column].to_numpy(dtype=np.float64)[old_at]
        after = new[column].to_numpy(dtype=np.float64)[new_at]
        changed |= ~((before == after) | (np.isnan(before) & np.isnan(after)))
    return int(changed.sum())


def _match(
    old_keys: np.ndarray, new_keys: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For sorted unique key arrays: positions of common keys in each, and a mask
    over ``old_keys`` of those found in ``new_keys``."""
    at = np.minimum(np.searchsorted(new_keys, old_keys), max(len(new_keys) - 1, 0))
    found = new_keys[at] == old_keys if len(new_keys) else np.zeros(len(old_keys), bool)
    return np.flatnonzero(found), at[found], found


def _summary_of(frame: pd.DataFrame) -> pa.Table:
    return summarise(
        pa.Table.from_pandas(frame[list(KEY_COLUMNS)], preserve_index=False)
    )


def _counts(summary: pa.Table | None) -> tuple[int, int]:
    """(assets, days) of a history summary (None: no history)."""
    if summary is None:
        return 0, 0
    return summary.num_rows, int(np.sum(summary.column("dias").to_numpy()))


def _change(
    mode: str, before: pa.Table | None, after: pa.Table, **what: Any
) -> HistoryChange:
    """The change from the history summarised by ``before`` to ``after``."""
    assets_before, days_before = _counts(before)
    assets_after, days_after = _counts(after)
    return HistoryChange(
        mode=mode,
        assets_before=assets_before,
        days_before=days_before,
        assets_after=assets_after,
        days_after=days_after,
        **what,
    )


def snapshot_history(new: pd.DataFrame, stored: StoredHistory | None) -> CandleHistory:
    """The history that is exactly ``new`` (sorted clean candles), compared with the stored."""
    summary = _summary_of(new)
    if stored is None:
        change = _change(
            "snapshot",
            None,
            summary,
            new_days=len(new),
            corrected_days=0,
            dropped_days=0,
            new_assets=tuple(summary.column("ativo").to_pylist()),
        )
        return CandleHistory(change, None, new, summary, candles_in_memory=new)
    old = stored.candles()
    names = _names(old, new)
    old_keys, new_keys = _keys(old, names), _keys(new, names)
    old_at, new_at, found = _match(old_keys, new_keys)
    old_summary = _summary_of(old)
    old_assets = set(old_summary.column("ativo").to_pylist())
    new_assets = set(summary.column("ativo").to_pylist())
    dropped_rows = old.loc[~found, "ativo"].value_counts()
    dropped_assets = tuple(sorted(old_assets - new_assets))
    shortened = {
        str(asset): int(count)
        for asset, count in dropped_rows.items()
        if asset not in dropped_assets
    }
    change = _change(
        "snapshot",
        old_summary,
        summary,
        new_days=len(new) - len(new_at),
        corrected_days=_changed_rows(old, old_at, new, new_at),
        dropped_days=int((~found).sum()),
        new_assets=tuple(sorted(new_assets - old_assets)),
        dropped_assets=dropped_assets,
        shortened_assets=dict(sorted(shortened.items())),
    )
    return CandleHistory(change, stored, new, summary, candles_in_memory=new)


def append_history(new: pd.DataFrame, stored: StoredHistory) -> CandleHistory:
    """The stored history with ``new`` candles added, ``new`` winning on the same key."""
    stored_summary = stored.summary()
    names = np.asarray(stored_summary.column("ativo").to_pylist(), dtype=object)
    order = np.argsort(names)
    names = names[order]
    last_day = (
        stored_summary.column("ultimo_dia").to_numpy().astype("datetime64[ns]")[order]
    )
    codes = asset_codes(pa.array(new["ativo"], pa.large_string()), names)
    known = codes >= 0
    later = np.ones(len(new), dtype=bool)
    later[known] = new["data"].to_numpy()[known] > last_day[codes[known]]
    fresh_assets = tuple(sorted(set(new.loc[~known, "ativo"])))
    if later.all():  # the daily case: nothing stored is touched
        appended = pa.Table.from_pandas(new, preserve_index=False)
        summary = merge_summaries(stored_summary, appended)
        change = _change(
            "append",
            stored_summary,
            summary,
            new_days=len(new),
            corrected_days=0,
            dropped_days=0,
            new_assets=fresh_assets,
        )
        return CandleHistory(change, stored, new, summary, appended=appended)
    old = stored.candles()
    all_names = _names(old, new)
    old_keys, new_keys = _keys(old, all_names), _keys(new, all_names)
    old_at, new_at, replaced = _match(old_keys, new_keys)
    merged = _merge_sorted(old.loc[~replaced].reset_index(drop=True), new)
    summary = _summary_of(merged)
    change = _change(
        "append",
        stored_summary,
        summary,
        new_days=len(new) - len(new_at),
        corrected_days=_changed_rows(old, old_at, new, new_at),
        dropped_days=0,
        new_assets=fresh_assets,
    )
    return CandleHistory(change, stored, new, summary, candles_in_memory=merged)


def log_change(change: HistoryChange, path: str) -> None:
    """WARNING for what a snapshot dropped (assets named, day counts), INFO otherwise."""
    if change.dropped_assets:
        logger.warning(
            "Snapshot ingest dropped %d asset(s) absent from the raw file, with their "
            "history: %s (the history at %s now holds the raw file's assets only)",
            len(change.dropped_assets),
            ", ".join(change.dropped_assets),
            path,
        )
    if change.shortened_assets:
        logger.warning(
            "Snapshot ingest dropped %d stored day(s) absent from the raw file: %s",
            sum(change.shortened_assets.values()),
            ", ".join(f"{a} ({n} days)" for a, n in change.shortened_assets.items()),
        )
