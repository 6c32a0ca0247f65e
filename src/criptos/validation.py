"""Row-level validation of raw candles: typed clean rows, quarantine and a report.

File-level problems are caught earlier by ``criptos.raw_contract``; here every row is
judged on its own (and against rows of the same asset and date). A row that breaks a
rule is quarantined with the first rule it breaks, in the order of ``RULES``.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from criptos import text_columns
from criptos.raw_contract import (
    MALFORMED_LINE_COLUMN,
    PRICE_COLUMNS,
    RAW_COLUMNS,
    VOLUME_COLUMNS,
    RawFileError,
)

logger = logging.getLogger(__name__)

REASON_COLUMN = "motivo"
DATE_FORMAT = text_columns.DATE_FORMAT
# Quarantine reasons, in the order they are checked.
RULES: tuple[str, ...] = (
    "linha_malformada",
    "ativo_ausente",
    "data_invalida",
    "preco_ausente_ou_nao_numerico",
    "preco_nao_positivo",
    "maximo_abaixo_de_abertura_ou_fechamento",
    "minimo_acima_de_abertura_ou_fechamento",
    "volume_invalido",
    "conflito_ativo_data",
)
_MAX_GAPS_LISTED_PER_ASSET = 5
_PARSE_THREADS = 2


class QuarantineLimitExceeded(ValueError):
    """Too many rows broke the rules: the feed is treated as broken, not trimmed."""


@dataclass(frozen=True)
class ValidationResult:
    """Clean typed candles, the quarantined raw rows and the JSON-ready report."""

    candles: pd.DataFrame
    quarantine: pd.DataFrame
    report: dict[str, Any]


@dataclass(frozen=True)
class _TypedRows:
    """Typed view of the raw text rows; unparseable cells are NaN / NaT / code -1."""

    asset_code: np.ndarray  # index into ``asset_labels``, -1 for a missing/blank asset
    asset_labels: np.ndarray
    dates: np.ndarray  # datetime64[ns]
    numbers: dict[str, np.ndarray]


def _typed_rows(rows: pd.DataFrame) -> _TypedRows:
    """Parse every column; Arrow's kernels release the GIL, so columns run in parallel."""
    numeric = (*PRICE_COLUMNS, *VOLUME_COLUMNS)
    with ThreadPoolExecutor(max_workers=_PARSE_THREADS) as pool:
        labels = pool.submit(
            text_columns.normalise_labels, text_columns.as_arrow(rows["ativo"])
        )
        dates = pool.submit(
            text_columns.parse_dates, text_columns.as_arrow(rows["data"])
        )
        numbers = {column: pool.submit(_numbers, rows[column]) for column in numeric}
        codes, asset_labels = labels.result()
        return _TypedRows(
            asset_code=codes,
            asset_labels=asset_labels,
            dates=dates.result(),
            numbers={column: future.result() for column, future in numbers.items()},
        )


def _numbers(column: pd.Series) -> np.ndarray:
    """A numeric column as float64 (NaN: missing or not a number), a copy we may write."""
    if pd.api.types.is_float_dtype(column):  # parsed by the reader: NaN is missing
        return column.to_numpy(dtype=np.float64, copy=True)
    return text_columns.parse_numbers(text_columns.as_arrow(column))


def _present(rows: pd.DataFrame, column: str) -> np.ndarray:
    """Whether each row has a value (text, or a number the reader parsed) in ``column``."""
    if pd.api.types.is_float_dtype(rows[column]):
        return ~np.isnan(rows[column].to_numpy())
    present = pc.is_valid(text_columns.as_arrow(rows[column]))
    return np.asarray(present.to_numpy(zero_copy_only=False), dtype=bool)


def _row_reasons(rows: pd.DataFrame, typed: _TypedRows) -> np.ndarray:
    """Per row, 1 + the index in ``RULES`` of its first broken rule, or 0 for a valid row."""
    opened, high, low, close = (typed.numbers[column] for column in PRICE_COLUMNS)
    prices = [opened, high, low, close]
    with np.errstate(invalid="ignore"):
        body_top = np.fmax(opened, close)
        body_bottom = np.fmin(opened, close)
        volume_bad = np.zeros(len(rows), dtype=bool)
        for column in VOLUME_COLUMNS:
            value = typed.numbers[column]
            volume_bad |= (_present(rows, column) & np.isnan(value)) | (value < 0)
        checks = [
            _present(rows, MALFORMED_LINE_COLUMN),
            typed.asset_code < 0,
            np.isnat(typed.dates),
            np.logical_or.reduce([np.isnan(price) for price in prices]),
            np.logical_or.reduce([price <= 0 for price in prices]),
            high < body_top,
            low > body_bottom,
            volume_bad,
        ]
    reasons = np.zeros(len(rows), dtype=np.int8)
    for number, broken in enumerate(checks, start=1):
        reasons[(reasons == 0) & broken] = number
    return reasons


def _key(asset_code: np.ndarray, dates: np.ndarray) -> np.ndarray:
    """One int64 per (asset, day) pair (built in place: two arrays of 8 bytes per row)."""
    days = dates.astype("datetime64[D]").view(np.int64)
    np.bitwise_and(days, 0xFFFFFFFF, out=days)
    key = asset_code.astype(np.int64)
    np.multiply(key, 1 << 32, out=key)
    key += days
    return key


def summarise_gaps(gap_rows: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per asset: number of gaps, missing days and the largest gaps.

    ``gap_rows`` holds one row per gap: ``ativo``, ``data`` (the day the series
    resumes) and ``missing`` (calendar days missing before it).
    """
    gaps: dict[str, dict[str, Any]] = {}
    for asset, asset_gaps in gap_rows.groupby("ativo", sort=True):
        largest = asset_gaps.nlargest(_MAX_GAPS_LISTED_PER_ASSET, "missing")
        gaps[str(asset)] = {
            "gaps": len(asset_gaps),
            "missing_days": int(asset_gaps["missing"].sum()),
            "largest": [
                {
                    "resumes_on": pd.Timestamp(day).strftime(DATE_FORMAT),
                    "missing_days": int(missing),
                }
                for day, missing in zip(
                    largest["data"], largest["missing"], strict=True
                )
            ],
        }
    return gaps


def _date_gaps(
    candles: pd.DataFrame, asset_code: np.ndarray
) -> dict[str, dict[str, Any]]:
    """Calendar gaps per asset in sorted clean candles (warnings, not errors)."""
    days = candles["data"].to_numpy().astype("datetime64[D]").astype(np.int64)
    step = np.diff(days)
    gap_rows = np.flatnonzero((asset_code[1:] == asset_code[:-1]) & (step > 1)) + 1
    return summarise_gaps(
        pd.DataFrame(
            {
                # only the gap rows: converting all of ``ativo`` makes millions of
                # Python strings
                "ativo": candles["ativo"].iloc[gap_rows].to_numpy(),
                "data": candles["data"].iloc[gap_rows].to_numpy(),
                "missing": step[gap_rows - 1] - 1,
            }
        )
    )


def check_quarantine_share(
    counts: dict[str, int], rows_read: int, max_quarantine_share: float
) -> None:
    """Raise ``QuarantineLimitExceeded`` when too large a share of rows was quarantined."""
    quarantined = sum(counts.values())
    share = quarantined / rows_read
    if share > max_quarantine_share:
        raise QuarantineLimitExceeded(
            f"{quarantined} of {rows_read} raw rows ({share:.1%}) broke validation "
            f"rules, above validation.max_quarantine_share={max_quarantine_share:.1%}; "
            f"refusing to build features from a broken feed ({_summary(counts)})"
        )


def _summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{rule}={n}" for rule, n in counts.items() if n)


def build_report(
    *,
    rows_read: int,
    rows_valid: int,
    counts: dict[str, int],
    max_quarantine_share: float,
    exact_duplicates: int,
    assets: int,
    date_range: tuple[Any, Any],
    gaps: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    """The JSON validation report (both engines), logging its warnings."""
    quarantined = sum(counts.values())
    if quarantined:
        logger.warning("Quarantined %d raw rows: %s", quarantined, _summary(counts))
    if gaps:
        logger.warning(
            "Date gaps in %d asset(s): %s",
            len(gaps),
            ", ".join(
                f"{asset} ({g['missing_days']} days)"
                for asset, g in list(gaps.items())[:10]
            ),
        )
    start, end = date_range
    return {
        "rows_read": rows_read,
        "rows_valid": rows_valid,
        "rows_quarantined": quarantined,
        "quarantine_share": round(quarantined / rows_read, 6),
        "max_quarantine_share": max_quarantine_share,
        "exact_duplicates_removed": exact_duplicates,
        "quarantined_by_rule": counts,
        "assets": assets,
        "date_range": {
            "start": pd.Timestamp(start).strftime(DATE_FORMAT) if rows_valid else None,
            "end": pd.Timestamp(end).strftime(DATE_FORMAT) if rows_valid else None,
        },
        "warnings": {"date_gaps": gaps},
    }


def _repeated(sorted_keys: np.ndarray) -> np.ndarray:
    """Positions of a sorted array whose value also occurs at a neighbouring position."""
    same_as_next = np.zeros(len(sorted_keys), dtype=bool)
    same_as_next[:-1] = sorted_keys[1:] == sorted_keys[:-1]
    repeated = same_as_next.copy()
    repeated[1:] |= same_as_next[:-1]
    return repeated


def _exact_duplicates(
    raw: pd.DataFrame, typed: _TypedRows, key_order: np.ndarray, sorted_keys: np.ndarray
) -> np.ndarray:
    """Rows identical in every raw field to an earlier row (numbers compared by value,
    so "1.0" and "1.00" are the same, whether the reader parsed them or not).

    Only rows whose typed (ativo, data) key repeats can be identical, so only those
    are compared field by field.
    """
    duplicate = np.zeros(len(raw), dtype=bool)
    candidates = np.sort(key_order[_repeated(sorted_keys)])
    if len(candidates):
        rows = raw.iloc[candidates]
        by_value = {
            column: _value_or_text(rows[column], typed.numbers[column][candidates])
            for column in (*PRICE_COLUMNS, *VOLUME_COLUMNS)
        }
        repeated = rows.assign(**by_value).duplicated(keep="first").to_numpy()
        duplicate[candidates[repeated]] = True
    return duplicate


def _value_or_text(column: pd.Series, parsed: np.ndarray) -> pd.Series:
    """The parsed number where there is one, else the cell's text (or missing)."""
    if pd.api.types.is_float_dtype(column):
        return column
    text = column.astype(object).to_numpy()
    return pd.Series(
        np.where(np.isnan(parsed), text, parsed.astype(object)), index=column.index
    )


def _gather_number(typed: _TypedRows, column: str, order: np.ndarray) -> np.ndarray:
    """Rows ``order`` of a parsed column, releasing the parsed column."""
    return np.take(typed.numbers.pop(column), order)


def _clean_candles(typed: _TypedRows, order: np.ndarray) -> pd.DataFrame:
    """Clean candles from the rows ``order`` (already in (ativo, data) order).

    Consumes ``typed.numbers``: each parsed column is released once gathered. The
    gathers (random access, GIL released) run on two threads.
    """
    labels = pa.array(typed.asset_labels, pa.large_string())
    assets = labels.take(pa.array(typed.asset_code[order]))
    columns = (*PRICE_COLUMNS, *VOLUME_COLUMNS)
    with ThreadPoolExecutor(max_workers=_PARSE_THREADS) as pool:
        gathered = pool.map(
            lambda column: _gather_number(typed, column, order), columns
        )
        numbers = dict(zip(columns, gathered, strict=True))
    return pd.DataFrame(
        {
            "ativo": pa.table({"ativo": assets}).to_pandas()["ativo"],
            "data": typed.dates[order],
            **numbers,
        },
        copy=False,
    )


def validate_candles(
    raw: pd.DataFrame, max_quarantine_share: float, consume: bool = False
) -> ValidationResult:
    """Split raw text rows into clean typed candles and quarantined rows.

    With ``consume=True`` the raw text columns are dropped from ``raw`` as soon as
    they are no longer needed (about 1 GB at 7 million rows); the caller must not use
    ``raw`` afterwards.

    Exact duplicate rows collapse to one. Rows of one (ativo, data) that disagree are
    all quarantined. Raises ``RawFileError`` for a file without data rows and
    ``QuarantineLimitExceeded`` when more than ``max_quarantine_share`` of the rows
    are quarantined.
    """
    if not 0 <= max_quarantine_share <= 1:
        raise ValueError(
            f"validation.max_quarantine_share must be between 0 and 1, got {max_quarantine_share!r}"
        )
    rows_read = len(raw)
    if rows_read == 0:
        raise RawFileError("raw file is empty: it has a header but no data rows")

    typed = _typed_rows(raw)
    key = _key(typed.asset_code, typed.dates)
    order = np.argsort(key, kind="stable")
    duplicate = _exact_duplicates(raw, typed, order, key[order])
    exact_duplicates = int(duplicate.sum())
    reasons = _row_reasons(raw, typed)

    valid = (reasons == 0) & ~duplicate
    valid_order = order[valid[order]]
    conflicting = _repeated(key[valid_order])
    reasons[valid_order[conflicting]] = RULES.index("conflito_ativo_data") + 1
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
        exact_duplicates=exact_duplicates,
        # clean rows all have an asset code (>= 0): count the codes that occur
        assets=int(np.count_nonzero(np.bincount(asset_code))),
        date_range=(candles["data"].min(), candles["data"].max()),
        gaps=_date_gaps(candles, asset_code),
    )
    return ValidationResult(candles=candles, quarantine=quarantine, report=report)
