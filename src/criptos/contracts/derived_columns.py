"""Contract columns a layout may leave out, derived from the ones it has.

``complete_columns`` adds ``ativo`` (the layout's asset), ``timestamp`` (missing),
``volumeto`` (``volumefrom × fechamento``) and ``data`` (the UTC day of
``timestamp``) where the file lacks them. Both engines call it, so a derived value is
the same bit for bit locally and on Spark.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from criptos.contracts import text_columns
from criptos.contracts.raw_layout import RAW_COLUMNS

_SECONDS_PER_DAY = 86_400
# Unix seconds of 0001-01-01 and 9999-12-31: the days a date column can hold.
_FIRST_SECOND, _LAST_SECOND = -62_135_596_800, 253_402_214_400


def _text_column(array: pa.Array) -> pd.Series:
    return pa.table({"text": array}).to_pandas()["text"]


def complete_columns(frame: pd.DataFrame, asset: str | None = None) -> pd.DataFrame:
    """Add (in place, at their contract position) the contract columns a layout may
    leave out, from the ones it has, and return ``frame``.

    ``ativo``: ``asset``; ``timestamp``: missing; ``volumeto``: ``volumefrom ×
    fechamento`` (float64; missing where either is not a number); ``data``: the UTC
    day of ``timestamp`` (seconds, or milliseconds by magnitude), as ``YYYY-MM-DD``
    text (missing where there is no usable timestamp). Both engines call this, so a
    derived value is the same bit for bit. Columns present are left untouched.
    """
    rows = len(frame)
    for position, name in enumerate(RAW_COLUMNS):
        if name in frame.columns:
            continue
        if name == "ativo":
            if asset is None:
                raise ValueError(
                    "complete_columns needs asset for a file without ativo"
                )
            values = _text_column(pa.repeat(pa.scalar(asset, pa.large_string()), rows))
        elif name == "data":
            values = _days_of_timestamps(frame["timestamp"])
        elif name == "volumeto":
            with np.errstate(over="ignore", invalid="ignore"):
                values = text_columns.column_numbers(
                    frame["volumefrom"]
                ) * text_columns.column_numbers(frame["fechamento"])
        else:  # timestamp: only checked when the file has it
            values = _text_column(pa.nulls(rows, pa.large_string()))
        frame.insert(min(position, len(frame.columns)), name, values)
    return frame


def _days_of_timestamps(column: pd.Series) -> pd.Series:
    """``YYYY-MM-DD`` text of the UTC day of each Unix time (seconds or milliseconds)."""
    seconds = text_columns.timestamp_seconds(text_columns.column_numbers(column))
    with np.errstate(invalid="ignore"):
        usable = (seconds >= _FIRST_SECOND) & (seconds <= _LAST_SECOND)
        days = np.floor_divide(np.where(usable, seconds, 0.0), _SECONDS_PER_DAY)
    dates = pa.array(days.astype(np.int32), pa.date32(), mask=~usable)
    return _text_column(pc.cast(dates, pa.large_string()))
