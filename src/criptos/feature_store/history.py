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

This module computes the new history of a run (``snapshot_history``,
``append_history``); what that gives is ``criptos.feature_store.candle_history``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from criptos.feature_store.candle_history import CandleHistory, HistoryChange
from criptos.feature_store.candle_keys import (
    asset_names,
    candle_keys,
    changed_rows,
    match,
    merge_sorted,
)
from criptos.feature_store.stored_history import (
    StoredHistory,
    merge_summaries,
    summarise,
)
from criptos.features.definitions import KEY_COLUMNS
from criptos.features.row_order import asset_codes


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
    names = asset_names(old, new)
    old_keys, new_keys = candle_keys(old, names), candle_keys(new, names)
    old_at, new_at, found = match(old_keys, new_keys)
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
        corrected_days=changed_rows(old, old_at, new, new_at),
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
    all_names = asset_names(old, new)
    old_keys, new_keys = candle_keys(old, all_names), candle_keys(new, all_names)
    old_at, new_at, replaced = match(old_keys, new_keys)
    merged = merge_sorted(old.loc[~replaced].reset_index(drop=True), new)
    summary = _summary_of(merged)
    change = _change(
        "append",
        stored_summary,
        summary,
        new_days=len(new) - len(new_at),
        corrected_days=changed_rows(old, old_at, new, new_at),
        dropped_days=0,
        new_assets=fresh_assets,
    )
    return CandleHistory(change, stored, new, summary, candles_in_memory=merged)
