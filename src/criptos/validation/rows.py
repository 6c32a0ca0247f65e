"""Row-level validation of raw candles: typed clean rows, quarantine and a report.

File-level problems are caught earlier by ``criptos.contracts.raw_file``; here every row is
judged on its own by the rules of ``criptos.validation.rules`` (a row breaking several
is quarantined with the first), exact duplicates collapse to one row and rows of one
(ativo, data) that disagree are all quarantined (``criptos.validation.duplicates``).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from criptos.contracts.errors import InputError
from criptos.contracts.raw_file import (
    MALFORMED_LINE_COLUMN,
    PRICE_COLUMNS,
    RAW_COLUMNS,
    UNTERMINATED_LAST_ROW,
    VOLUME_COLUMNS,
    RawFileError,
)
from criptos.validation.bounds import (
    MAX_ABS_VALUE,
    MAX_ABS_VOLUME,
    MIN_DATE,
    Bounds,
)
from criptos.validation.duplicates import exact_duplicates, repeated, row_keys
from criptos.validation.report import build_report, check_quarantine_share, date_gaps
from criptos.validation.rules import (
    CONFLICT_RULE,
    RULES,
    RawRows,
    TypedRows,
    first_broken_rule,
    rule_number,
)

REASON_COLUMN = "motivo"
_GATHER_THREADS = 2


@dataclass(frozen=True)
class ValidationResult:
    """Clean typed candles, the quarantined raw rows and the JSON-ready report."""

    candles: pd.DataFrame
    quarantine: pd.DataFrame
    report: dict[str, Any]


def unterminated_row(raw: pd.DataFrame) -> int | None:
    """The row of the file's last line when it has no line break (see the reader)."""
    position = raw.attrs.get(UNTERMINATED_LAST_ROW)
    return None if position is None else int(position)


def _gather_number(typed: TypedRows, column: str, order: np.ndarray) -> np.ndarray:
    """Rows ``order`` of a parsed column, releasing the parsed column."""
    return np.take(typed.numbers.pop(column), order)


def _clean_candles(typed: TypedRows, order: np.ndarray) -> pd.DataFrame:
    """Clean candles from the rows ``order`` (already in (ativo, data) order).

    Consumes ``typed.numbers``: each parsed column is released once gathered. The
    gathers (random access, GIL released) run on two threads.
    """
    labels = pa.array(typed.asset_labels, pa.large_string())
    assets = labels.take(pa.array(typed.asset_code[order]))
    columns = (*PRICE_COLUMNS, *VOLUME_COLUMNS)
    with ThreadPoolExecutor(max_workers=_GATHER_THREADS) as pool:
        gathered = pool.map(
            lambda column: _gather_number(typed, column, order), columns
        )
        numbers = dict(zip(columns, gathered, strict=True))
    return pd.DataFrame(
        {
            "ativo": pa.table({"ativo": assets}).to_pandas()["ativo"],
            # clean days are within the accepted range: no overflow in nanoseconds
            "data": typed.dates[order].astype("datetime64[ns]"),
            **numbers,
        },
        copy=False,
    )


def validate_candles(
    raw: pd.DataFrame,
    max_quarantine_share: float,
    consume: bool = False,
    *,
    min_date: object = MIN_DATE,
    max_date: object = None,
    max_abs_value: object = MAX_ABS_VALUE,
    accept_unterminated_last_line: object = False,
    max_abs_volume: object = MAX_ABS_VOLUME,
    bounds: Bounds | None = None,
) -> ValidationResult:
    """Split raw text rows into clean typed candles and quarantined rows.

    With ``consume=True`` the raw text columns are dropped from ``raw`` as soon as
    they are no longer needed (about 1 GB at 7 million rows); the caller must not use
    ``raw`` afterwards.

    Candle days must lie in ``[min_date, max_date]`` (``max_date`` None: tomorrow,
    UTC), prices within ``max_abs_value`` and volumes within ``max_abs_volume`` in
    magnitude; the row of an unterminated last line (``raw.attrs``, set by the
    reader) is quarantined unless ``accept_unterminated_last_line``. ``bounds`` (see
    ``validation_bounds``) replaces those five arguments. Exact duplicate rows
    collapse to one. Rows of one (ativo, data) that disagree are all quarantined. Raises ``RawFileError`` for a
    file without data rows, ``QuarantineLimitExceeded`` when more than
    ``max_quarantine_share`` of the rows are quarantined and ``InputError`` for
    unusable bounds.
    """
    if not 0 <= max_quarantine_share <= 1:
        raise InputError(
            f"validation.max_quarantine_share must be between 0 and 1, got {max_quarantine_share!r}"
        )
    if bounds is None:
        bounds = Bounds.of(
            min_date,
            max_date,
            max_abs_value,
            accept_unterminated_last_line,
            max_abs_volume,
        )
    rows_read = len(raw)
    if rows_read == 0:
        raise RawFileError("raw file is empty: it has a header but no data rows")

    incomplete = unterminated_row(raw)
    typed = TypedRows.parse(raw)
    key = row_keys(typed.asset_code, typed.dates)
    order = np.argsort(key, kind="stable")
    duplicate = exact_duplicates(raw, typed, order, key[order])
    if incomplete is not None and not bounds.accept_unterminated_last_line:
        duplicate[incomplete] = False  # quarantined as linha_incompleta instead
    duplicates_removed = int(duplicate.sum())
    reasons = first_broken_rule(RawRows(raw, typed, bounds, incomplete))

    valid = (reasons == 0) & ~duplicate
    valid_order = order[valid[order]]
    conflicting = repeated(key[valid_order])
    reasons[valid_order[conflicting]] = rule_number(CONFLICT_RULE)
    clean_order = valid_order[~conflicting]
    reasons[duplicate] = 0

    quarantined = (reasons > 0) & ~duplicate
    counts = {
        rule: int((reasons == number).sum()) for number, rule in enumerate(RULES, 1)
    }
    check_quarantine_share(counts, rows_read, max_quarantine_share)

    quarantine = raw.loc[quarantined, [*RAW_COLUMNS, MALFORMED_LINE_COLUMN]].assign(
        **{REASON_COLUMN: np.asarray(RULES, dtype=object)[reasons[quarantined] - 1]}
    )
    if consume:
        for column in list(raw.columns):
            del raw[column]
    candles = _clean_candles(typed, clean_order)
    asset_code = typed.asset_code[clean_order]
    del typed
    report = build_report(
        rows_read=rows_read,
        rows_valid=len(candles),
        counts=counts,
        max_quarantine_share=max_quarantine_share,
        exact_duplicates=duplicates_removed,
        # clean rows all have an asset code (>= 0): count the codes that occur
        assets=int(np.count_nonzero(np.bincount(asset_code))),
        date_range=(candles["data"].min(), candles["data"].max()),
        gaps=date_gaps(candles, asset_code),
        bounds=bounds,
        unterminated_last_line=incomplete is not None,
    )
    return ValidationResult(candles=candles, quarantine=quarantine, report=report)
