"""Rows that meet on one (ativo, data): exact duplicates collapse, conflicts do not.

Both are decided on a typed key per row (the normalised asset and the parsed day),
sorted once: only rows whose key repeats can be duplicates or conflicts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from criptos.contracts.raw_file import PRICE_COLUMNS, VOLUME_COLUMNS
from criptos.validation.rules import TypedRows


def row_keys(asset_code: np.ndarray, dates: np.ndarray) -> np.ndarray:
    """One int64 per (asset, day) pair (built in place: two arrays of 8 bytes per row)."""
    days = dates.astype("datetime64[D]").view(np.int64)
    np.bitwise_and(days, 0xFFFFFFFF, out=days)
    key = asset_code.astype(np.int64)
    np.multiply(key, 1 << 32, out=key)
    key += days
    return key


def repeated(sorted_keys: np.ndarray) -> np.ndarray:
    """Positions of a sorted array whose value also occurs at a neighbouring position
    (on the valid rows in key order: the conflicting ones)."""
    same_as_next = np.zeros(len(sorted_keys), dtype=bool)
    same_as_next[:-1] = sorted_keys[1:] == sorted_keys[:-1]
    out = same_as_next.copy()
    out[1:] |= same_as_next[:-1]
    return out


def exact_duplicates(
    raw: pd.DataFrame, typed: TypedRows, key_order: np.ndarray, sorted_keys: np.ndarray
) -> np.ndarray:
    """Rows identical in every raw field to an earlier row (numbers compared by value,
    so "1.0" and "1.00" are the same, whether the reader parsed them or not; assets
    after trimming and upper-casing; dates as days).

    Only rows whose typed (ativo, data) key repeats can be identical, so only those
    are compared field by field.
    """
    duplicate = np.zeros(len(raw), dtype=bool)
    candidates = np.sort(key_order[repeated(sorted_keys)])
    if len(candidates):
        rows = raw.iloc[candidates]
        by_value = {
            column: _value_or_text(rows[column], typed.numbers[column][candidates])
            for column in (*PRICE_COLUMNS, *VOLUME_COLUMNS)
        }
        by_value["timestamp"] = _value_or_text(
            rows["timestamp"], typed.timestamps[candidates]
        )
        # the asset as normalised (" btc" is BTC) and the day as parsed
        # ("2021-01-05T00:00:00Z" is 2021-01-05), where there is one
        codes = typed.asset_code[candidates]
        by_value["ativo"] = _value_or_text(
            rows["ativo"], np.where(codes >= 0, codes, np.nan)
        )
        days = typed.dates[candidates]
        by_value["data"] = _value_or_text(
            rows["data"],
            np.where(np.isnat(days), np.nan, days.view(np.int64).astype(np.float64)),
        )
        same = rows.assign(**by_value).duplicated(keep="first").to_numpy()
        duplicate[candidates[same]] = True
    return duplicate


def _value_or_text(column: pd.Series, parsed: np.ndarray) -> pd.Series:
    """The parsed number where there is one, else the cell's text (or missing)."""
    if pd.api.types.is_float_dtype(column):
        return column
    text = column.astype(object).to_numpy()
    return pd.Series(
        np.where(np.isnan(parsed), text, parsed.astype(object)), index=column.index
    )
