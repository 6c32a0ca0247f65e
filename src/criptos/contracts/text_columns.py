"""Fast, forgiving parsing of raw text columns with Arrow compute.

Each parser first tries Arrow's strict C++ conversion on the text as it is (the
common case: clean numbers and dates), then re-parses only the cells that failed
after trimming surrounding whitespace. A cell that still does not parse becomes
missing, never an error.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

DATE_FORMAT = "%Y-%m-%d"


def as_arrow(column: pd.Series) -> pa.ChunkedArray:
    """A text column as an Arrow string array (zero-copy for Arrow-backed strings)."""
    array = pa.chunked_array(pa.array(column, from_pandas=True))
    if not pa.types.is_string(array.type) and not pa.types.is_large_string(array.type):
        array = array.cast(pa.large_string())
    return array


def _cast_float(text: pa.ChunkedArray | pa.Array) -> pa.Array:
    return pc.cast(text, pa.float64())


def _number_or_none(text: str | None) -> float:
    """One cell the way ``pandas.to_numeric(errors="coerce")`` reads it."""
    if text is None:
        return np.nan
    value = pd.to_numeric(pd.Series([text.strip()]), errors="coerce").iloc[0]
    return float(value) if pd.notna(value) else np.nan


def _retry_trimmed(
    text: pa.ChunkedArray,
    strict: Callable[[pa.Array], pa.Array],
    fallback: Callable[[str | None], object],
) -> pa.ChunkedArray:
    """``strict`` over the whole column, or trimmed per chunk with ``fallback`` per bad cell."""
    try:
        return strict(text)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    chunks = []
    for chunk in text.chunks:
        trimmed = pc.utf8_trim_whitespace(chunk)
        try:
            chunks.append(strict(trimmed))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            chunks.append(pa.array([fallback(cell) for cell in trimmed.to_pylist()]))
    return pa.chunked_array(chunks)


def parse_numbers(text: pa.ChunkedArray) -> np.ndarray:
    """Text to float64; missing and unparseable cells become NaN.

    Infinities (``inf``, or a number too large for float64 such as ``1e400``) stay
    infinite, so that validation can tell "not a number" from "out of range".
    """
    parsed = _retry_trimmed(text, _cast_float, _number_or_none)
    values = parsed.to_numpy()
    if values.dtype != np.float64 or not values.flags.writeable:
        values = values.astype(np.float64)  # a copy we may write to
    return values


def column_numbers(column: pd.Series) -> np.ndarray:
    """A column as float64 (NaN: missing or not a number), a copy we may write.

    A numeric column (parsed by the reader: NaN is missing) is copied; a text column
    is parsed with ``parse_numbers``.
    """
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return column.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
    return parse_numbers(as_arrow(column))


# A Unix time at least this large is in milliseconds (as CCXT writes): 1e11 seconds
# is the year 5138, 1e11 milliseconds March 1973.
MILLISECONDS_FROM = 1e11


def timestamp_seconds(values: np.ndarray) -> np.ndarray:
    """Unix times in seconds or milliseconds (told apart by magnitude) as seconds."""
    with np.errstate(invalid="ignore"):
        return np.where(np.abs(values) >= MILLISECONDS_FROM, values / 1000.0, values)


# What may follow YYYY-MM-DD in a date cell: nothing, or a time at midnight UTC
# (``2021-01-05 00:00:00``, ``2021-01-05T00:00:00``, ``...T00:00:00.000Z``).
_MIDNIGHT_SUFFIX = r"^(?:[ T]00:00:00(?:\.0+)?(?:Z|\+00:?00)?)?$"
_DATE_TEXT_LENGTH = 10


def parse_dates(text: pa.ChunkedArray) -> np.ndarray:
    """``YYYY-MM-DD`` text to ``datetime64[D]``; anything else becomes NaT.

    Days are kept as days, so any year Arrow reads (0001 to 9999) is exact: nothing
    wraps around (``datetime64[ns]`` only spans 1677 to 2262); bounds are
    validation's job. Arrow's date cast reads the strict format and refuses
    impossible dates at once (the usual, clean column); if any cell fails, each is
    parsed after trimming spaces and kept only if it is a real date written that way
    (``strptime`` alone would turn 2021-02-30 into 2021-03-02), optionally followed
    by a time that is exactly midnight UTC (``2021-01-05T00:00:00Z``); any other time
    of day makes the cell NaT.
    """
    try:
        return _to_days(pc.cast(text, pa.date32()))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    trimmed = pc.utf8_trim_whitespace(text)
    day_text = pc.utf8_slice_codeunits(trimmed, 0, _DATE_TEXT_LENGTH)
    suffix = pc.utf8_slice_codeunits(trimmed, _DATE_TEXT_LENGTH, 1 << 30)
    parsed = pc.strptime(day_text, format=DATE_FORMAT, unit="s", error_is_null=True)
    real_day = pc.equal(pc.strftime(parsed, format=DATE_FORMAT), day_text)
    keep = pc.and_(real_day, pc.match_substring_regex(suffix, _MIDNIGHT_SUFFIX))
    kept = pc.if_else(keep, parsed, pa.scalar(None, parsed.type))
    return _to_days(pc.cast(kept, pa.date32()))


def _to_days(dates: pa.ChunkedArray | pa.Array) -> np.ndarray:
    days = dates.to_numpy(zero_copy_only=False)
    if days.dtype != np.dtype("datetime64[D]"):  # an all-missing column
        days = days.astype("datetime64[D]")
    return days


def normalise_labels(text: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Trimmed, upper-cased labels as (codes per row, sorted unique labels).

    Rows with a missing or blank label get code -1. Work is done once per distinct
    label, not per row.
    """
    encoded = pc.dictionary_encode(text).combine_chunks()
    dictionary = pd.Series(encoded.dictionary.to_pylist(), dtype="object")
    cleaned = dictionary.str.strip().str.upper()
    cleaned = cleaned.where(cleaned.str.len() > 0)
    unique_codes, labels = pd.factorize(cleaned, sort=True, use_na_sentinel=True)
    unique_codes = unique_codes.astype(np.int64)
    if encoded.indices.null_count == 0:  # the usual column: every row has a label
        return unique_codes[encoded.indices.to_numpy()], np.asarray(
            labels, dtype=object
        )
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    codes = np.full(len(indices), -1, dtype=np.int64)
    present = ~np.asarray(
        encoded.indices.is_null().to_numpy(zero_copy_only=False), dtype=bool
    )
    codes[present] = unique_codes[indices[present].astype(np.int64)]
    return codes, np.asarray(labels, dtype=object)


def text_codes(text: pa.ChunkedArray) -> np.ndarray:
    """An integer per row that is equal exactly when the raw text is equal (null: -1)."""
    encoded = pc.dictionary_encode(text).combine_chunks()
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    codes = np.where(np.isnan(indices.astype(np.float64)), -1, indices).astype(np.int64)
    return codes
