"""The candle history after a run: what the run changed, and the new history itself.

``HistoryChange`` is the run's account (its summary line, the warnings of a snapshot
that dropped stored candles); ``CandleHistory`` the new history as the store writes it
(``criptos.feature_store.content``): built in memory, or — after an append of later
days only — the stored history plus the appended rows, read only if a whole table
must be written. ``criptos.feature_store.history`` computes both.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa

from criptos.feature_store.candle_keys import merge_sorted
from criptos.feature_store.stored_history import (
    StoredHistory,
    as_candles,
    history_metadata,
)
from criptos.features.table import ROWS_PER_BATCH, asset_batches

logger = logging.getLogger(__name__)

# What the history's metadata keeps of the validation report of the run that wrote it.
VALIDATION_OUTCOME = (
    "rows_read",
    "rows_valid",
    "rows_quarantined",
    "exact_duplicates_removed",
    "quarantined_by_rule",
    "accepted",
)


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
    """The history after this run, as a stream the feature store writes.

    ``candles`` is the whole new history when it was built in memory; after a run
    that only added later days it is None and ``appended`` holds those rows, so a
    folder layout writes one small file and the stored history is read only if the
    table must be rewritten (file layout, compaction).
    """

    change: HistoryChange
    stored: StoredHistory | None
    new_candles: pd.DataFrame  # this run's clean candles (what the features continue)
    summary: pa.Table  # per asset: first day, last day, days (a folder's state)
    candles_in_memory: pd.DataFrame | None = None
    appended: pa.Table | None = None
    generation: str = field(default_factory=lambda: uuid.uuid4().hex)
    validation: dict[str, Any] = field(default_factory=dict)
    rows_per_batch: int = ROWS_PER_BATCH

    @property
    def previous_generation(self) -> str | None:
        return None if self.stored is None else self.stored.generation

    @property
    def schema_metadata(self) -> dict[bytes, bytes]:
        """What every file of the history records: its generation and how this run
        made it."""
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
            self.candles_in_memory = merge_sorted(
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
