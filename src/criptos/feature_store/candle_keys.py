"""Candle frames by their (ativo, data) key: sorted merges, matches and value changes.

Candle frames of the history are kept in (ativo, data) order with unique keys, so two
of them merge and match by one int64 key per row (``criptos.features.row_order``):
a linear merge or a binary search, not a sort or a join on the text column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from criptos.features.definitions import INPUT_COLUMNS, KEY_COLUMNS
from criptos.features.row_order import (
    asset_codes,
    keys_of,
    merged_order,
    sorted_names,
)

VALUE_COLUMNS = tuple(column for column in INPUT_COLUMNS if column not in KEY_COLUMNS)


def asset_names(*frames: pd.DataFrame) -> np.ndarray:
    """Every asset name of ``frames``, sorted (the alphabet of ``candle_keys``)."""
    return sorted_names(*(pa.array(f["ativo"], pa.large_string()) for f in frames))


def candle_keys(candles: pd.DataFrame, names: np.ndarray) -> np.ndarray:
    """The (ativo, data) sort key of every candle, asset codes taken from ``names``."""
    codes = asset_codes(pa.array(candles["ativo"], pa.large_string()), names)
    return keys_of(codes, candles["data"].to_numpy())


def merge_sorted(first: pd.DataFrame, second: pd.DataFrame) -> pd.DataFrame:
    """Two candle frames, each in (ativo, data) order and with no key in common, as
    one in that order: a linear merge by key, not a sort on the text column."""
    names = asset_names(first, second)
    order = merged_order(candle_keys(first, names), candle_keys(second, names))
    both = pd.concat([first, second], ignore_index=True)
    return both.take(order).reset_index(drop=True)


def match(
    old_keys: np.ndarray, new_keys: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For sorted unique key arrays: positions of common keys in each, and a mask
    over ``old_keys`` of those found in ``new_keys``."""
    at = np.minimum(np.searchsorted(new_keys, old_keys), max(len(new_keys) - 1, 0))
    found = new_keys[at] == old_keys if len(new_keys) else np.zeros(len(old_keys), bool)
    return np.flatnonzero(found), at[found], found


def changed_rows(
    old: pd.DataFrame, old_at: np.ndarray, new: pd.DataFrame, new_at: np.ndarray
) -> int:
    """How many of the matched rows (old_at[i] ~ new_at[i]) differ in a value."""
    changed = np.zeros(len(old_at), dtype=bool)
    for column in VALUE_COLUMNS:
        before = old[column].to_numpy(dtype=np.float64)[old_at]
        after = new[column].to_numpy(dtype=np.float64)[new_at]
        changed |= ~((before == after) | (np.isnan(before) & np.isnan(after)))
    return int(changed.sum())
