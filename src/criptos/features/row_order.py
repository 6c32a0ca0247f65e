"""(ativo, data) row order of Arrow tables: one int64 sort key per row, and sorted merges.

Feature tables are kept in (ativo, data) order. Merging two sorted tables (previous
rows and new ones) by an int64 key is linear and copies no column data until the
final ``take``/``concat``, unlike a general sort on a string column.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_DAY_BITS = 32


def sorted_names(*columns: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """The distinct asset names of ``columns``, sorted (the codes' alphabet)."""
    names: set[str] = set()
    for column in columns:
        names.update(pc.unique(column).to_pylist())
    names.discard(None)
    return np.asarray(sorted(names), dtype=object)


def asset_codes(column: pa.ChunkedArray | pa.Array, names: np.ndarray) -> np.ndarray:
    """Position of each row's asset in the sorted ``names``, -1 where it is not there
    (hashed by Arrow, without making millions of Python strings)."""
    if len(names) == 0:
        return np.full(len(column), -1, dtype=np.int64)
    value_set = pa.array(names, type=column.type)
    return (
        pc.index_in(column, value_set=value_set)
        .fill_null(-1)
        .to_numpy()
        .astype(np.int64)
    )


def keys_of(codes: np.ndarray, dates: np.ndarray) -> np.ndarray:
    """One int64 per row ordering (ativo, data): the asset code, then the day."""
    days = dates.astype("datetime64[D]").astype(np.int64)
    return codes.astype(np.int64) * (1 << _DAY_BITS) + days


def sort_keys(table: pa.Table, codes: np.ndarray) -> np.ndarray:
    """``keys_of`` the rows of ``table`` (its ``data`` column) with their asset codes."""
    return keys_of(codes, table.column("data").to_numpy())


def codes_of(keys: np.ndarray) -> np.ndarray:
    """The asset codes inside ``keys_of`` keys."""
    return keys >> _DAY_BITS


def merged_order(first_keys: np.ndarray, second_keys: np.ndarray) -> np.ndarray:
    """Take-indices into ``concat(first, second)`` that put both (each sorted) in key order."""
    rows = len(first_keys) + len(second_keys)
    at = np.searchsorted(first_keys, second_keys, side="right") + np.arange(
        len(second_keys)
    )
    from_second = np.zeros(rows, dtype=bool)
    from_second[at] = True
    order = np.empty(rows, dtype=np.int64)
    order[~from_second] = np.arange(len(first_keys))
    order[from_second] = len(first_keys) + np.arange(len(second_keys))
    return order


def interleave(
    chunk: pa.Table, chunk_keys: np.ndarray, part: pa.Table, part_keys: np.ndarray
) -> pa.Table:
    """Merge two sorted tables by their keys without copying (zero-copy slices)."""
    if part.num_rows == 0:
        return chunk
    at = np.searchsorted(chunk_keys, part_keys, side="right")
    starts = np.flatnonzero(np.r_[True, at[1:] != at[:-1]])
    ends = np.r_[starts[1:], len(at)]
    pieces, taken = [], 0
    for first, last in zip(starts, ends, strict=True):
        position = int(at[first])
        pieces += [
            chunk.slice(taken, position - taken),
            part.slice(first, last - first),
        ]
        taken = position
    pieces.append(chunk.slice(taken))
    return pa.concat_tables(pieces)
