"""Row-level validation of raw candles: typed clean rows, quarantine and a report.

File-level problems are caught earlier by ``criptos.contracts.raw_file``; here every row is
judged on its own (and against rows of the same asset and date). A row that breaks a
rule is quarantined with the first rule it breaks, in the order of ``RULES``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from criptos.contracts import text_columns
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
from criptos.validation.report import build_report, check_quarantine_share, date_gaps

REASON_COLUMN = "motivo"
# Quarantine reasons, in the order they are checked (``_row_reasons`` lists its
# checks in this order: keep them aligned).
RULES: tuple[str, ...] = (
    "linha_incompleta",
    "linha_malformada",
    "ativo_ausente",
    "data_invalida",
    "data_fora_do_intervalo",
    "timestamp_divergente",
    "preco_ausente_ou_nao_numerico",
    "valor_fora_do_intervalo",
    "preco_nao_positivo",
    "maximo_abaixo_de_abertura_ou_fechamento",
    "minimo_acima_de_abertura_ou_fechamento",
    "volume_invalido",
    "conflito_ativo_data",
)
_PARSE_THREADS = 2
_SECONDS_PER_DAY = 86_400


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
    dates: np.ndarray  # datetime64[D] (no wrap-around: any year), NaT if invalid
    timestamps: np.ndarray  # float64 as written (seconds or ms), NaN if not a number
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
        timestamps = pool.submit(text_columns.column_numbers, rows["timestamp"])
        numbers = {
            column: pool.submit(text_columns.column_numbers, rows[column])
            for column in numeric
        }
        codes, asset_labels = labels.result()
        return _TypedRows(
            asset_code=codes,
            asset_labels=asset_labels,
            dates=dates.result(),
            timestamps=timestamps.result(),
            numbers={column: future.result() for column, future in numbers.items()},
        )


def _present(rows: pd.DataFrame, column: str) -> np.ndarray:
    """Whether each row has a value (text, or a number the reader parsed) in ``column``."""
    values = rows[column]
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return ~np.isnan(values.to_numpy(dtype=np.float64, na_value=np.nan))
    present = pc.is_valid(text_columns.as_arrow(values))
    return np.asarray(present.to_numpy(zero_copy_only=False), dtype=bool)


def unterminated_row(raw: pd.DataFrame) -> int | None:
    """The row of the file's last line when it has no line break (see the reader)."""
    position = raw.attrs.get(UNTERMINATED_LAST_ROW)
    return None if position is None else int(position)


def _timestamp_diverges(rows: pd.DataFrame, typed: _TypedRows) -> np.ndarray:
    """A timestamp is written and is not 00:00 UTC of the row's day (s or ms)."""
    seconds = text_columns.timestamp_seconds(typed.timestamps)
    midnight = typed.dates.view(np.int64).astype(np.float64) * _SECONDS_PER_DAY
    return _present(rows, "timestamp") & ~(seconds == midnight)


def _out_of_range(
    prices: list[np.ndarray], volumes: list[np.ndarray], bounds: Bounds
) -> np.ndarray:
    """Some price (volume) is infinite, larger in magnitude than ``max_abs_value``
    (``max_abs_volume``), or non-zero and so small that a ratio to it would overflow
    (missing values are not)."""
    out = np.zeros(len(prices[0]), dtype=bool)
    with np.errstate(invalid="ignore"):
        for values, limit in (
            (prices, bounds.max_abs_value),
            (volumes, bounds.max_abs_volume),
        ):
            for value in values:
                magnitude = np.abs(value)
                out |= magnitude > limit  # inf too, NaN not
                out |= (magnitude < bounds.min_abs_value) & (magnitude > 0)
    return out


def _row_reasons(
    rows: pd.DataFrame, typed: _TypedRows, bounds: Bounds, incomplete: int | None
) -> np.ndarray:
    """Per row, 1 + the index in ``RULES`` of its first broken rule, or 0 for a valid row."""
    opened, high, low, close = (typed.numbers[column] for column in PRICE_COLUMNS)
    prices = [opened, high, low, close]
    cut_short = np.zeros(len(rows), dtype=bool)
    if incomplete is not None and not bounds.accept_unterminated_last_line:
        cut_short[incomplete] = True
    with np.errstate(invalid="ignore"):
        body_top = np.fmax(opened, close)
        body_bottom = np.fmin(opened, close)
        volume_bad = np.zeros(len(rows), dtype=bool)
        for column in VOLUME_COLUMNS:
            value = typed.numbers[column]
            volume_bad |= (_present(rows, column) & np.isnan(value)) | (value < 0)
        checks = [  # in the order of RULES (conflito_ativo_data is decided later)
            cut_short,
            _present(rows, MALFORMED_LINE_COLUMN),
            typed.asset_code < 0,
            np.isnat(typed.dates),
            (typed.dates < bounds.min_date) | (typed.dates > bounds.max_date),
            _timestamp_diverges(rows, typed),
            np.logical_or.reduce([np.isnan(price) for price in prices]),
            _out_of_range(prices, [typed.numbers[c] for c in VOLUME_COLUMNS], bounds),
            np.logical_or.reduce([price <= 0 for price in prices]),
            high < body_top,
            low > body_bottom,
            volume_bad,
        ]
    assert len(checks) == len(RULES) - 1
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
    so "1.0" and "1.00" are the same, whether the reader parsed them or not; assets
    after trimming and upper-casing; dates as days).

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
    ``validation_bounds``) replaces those five arguments. Exact duplicate rows collapse to one. Rows of one
    (ativo, data) that disagree are all quarantined. Raises ``RawFileError`` for a
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
    typed = _typed_rows(raw)
    key = _key(typed.asset_code, typed.dates)
    order = np.argsort(key, kind="stable")
    duplicate = _exact_duplicates(raw, typed, order, key[order])
    if incomplete is not None and not bounds.accept_unterminated_last_line:
        duplicate[incomplete] = False  # quarantined as linha_incompleta instead
    exact_duplicates = int(duplicate.sum())
    reasons = _row_reasons(raw, typed, bounds, incomplete)

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
        gaps=date_gaps(candles, asset_code),
        bounds=bounds,
        unterminated_last_line=incomplete is not None,
    )
    return ValidationResult(candles=candles, quarantine=quarantine, report=report)
