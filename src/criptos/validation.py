"""Row-level validation of raw candles: typed clean rows, quarantine and a report.

File-level problems are caught earlier by ``criptos.raw_contract``; here every row is
judged on its own (and against rows of the same asset and date). A row that breaks a
rule is quarantined with the first rule it breaks, in the order of ``RULES``.
"""

from __future__ import annotations

import logging
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from criptos import text_columns
from criptos.contracts.errors import InputError
from criptos.raw_contract import (
    MALFORMED_LINE_COLUMN,
    PRICE_COLUMNS,
    RAW_COLUMNS,
    UNTERMINATED_LAST_ROW,
    VOLUME_COLUMNS,
    RawFileError,
)
from criptos.run_date import resolve_run_date

logger = logging.getLogger(__name__)

REASON_COLUMN = "motivo"
DATE_FORMAT = text_columns.DATE_FORMAT
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
_MAX_GAPS_LISTED_PER_ASSET = 5
_PARSE_THREADS = 2
# Defaults of the validation parameters (conf/base/parameters_feature_engineering.yml).
MIN_DATE = "2009-01-03"  # the first Bitcoin block: no crypto candle is older
MAX_ABS_VALUE = 1e12  # prices
# Volumes count units of tokens that may be worth a tiny fraction of a cent: a day of
# some real tokens trades trillions of units (beyond 1e12), so they get more room.
MAX_ABS_VOLUME = 1e18
_SECONDS_PER_DAY = 86_400
# Non-zero values smaller than max_abs_value / this are refused as well: any ratio
# of two accepted values (returns, value per unit), even squared, is then finite.
_RATIO_HEADROOM = math.sqrt(np.finfo(np.float64).max)


class QuarantineLimitExceeded(InputError):
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
    dates: np.ndarray  # datetime64[D] (no wrap-around: any year), NaT if invalid
    timestamps: np.ndarray  # float64 as written (seconds or ms), NaN if not a number
    numbers: dict[str, np.ndarray]


@dataclass(frozen=True)
class Bounds:
    """What validation accepts besides the fixed rules (the ``validation`` parameters).

    ``min_date`` and ``max_date`` (inclusive, ``datetime64[D]``) bound the candle
    days; ``max_abs_value`` bounds every price, ``max_abs_volume`` every volume; an
    unterminated last line is kept only with ``accept_unterminated_last_line``.
    """

    min_date: np.datetime64
    max_date: np.datetime64
    max_abs_value: float = MAX_ABS_VALUE
    accept_unterminated_last_line: bool = False
    max_abs_volume: float = MAX_ABS_VOLUME

    @classmethod
    def of(
        cls,
        min_date: object = MIN_DATE,
        max_date: object = None,
        max_abs_value: object = MAX_ABS_VALUE,
        accept_unterminated_last_line: object = False,
        max_abs_volume: object = MAX_ABS_VOLUME,
    ) -> Bounds:
        """Checked bounds (``InputError`` naming the parameter); ``max_date`` None
        is tomorrow (UTC)."""
        low = _day("validation.min_date", min_date)
        if max_date is None:
            max_date = datetime.now(UTC).date() + timedelta(days=1)
        high = _day("maximum date (run_date + 1 day)", max_date)
        if high < low:
            raise InputError(
                f"validation.min_date ({low}) is after the last accepted day ({high}, "
                "run_date + 1 day): no candle could pass"
            )
        limit = _positive("validation.max_abs_value", max_abs_value)
        volume_limit = _positive("validation.max_abs_volume", max_abs_volume)
        if not isinstance(accept_unterminated_last_line, bool):
            raise InputError(
                "validation.accept_unterminated_last_line must be true or false, got "
                f"{accept_unterminated_last_line!r}"
            )
        return cls(low, high, limit, accept_unterminated_last_line, volume_limit)

    @property
    def min_abs_value(self) -> float:
        """Non-zero magnitudes below this are refused (see ``_RATIO_HEADROOM``)."""
        return max(self.max_abs_value, self.max_abs_volume) / _RATIO_HEADROOM

    def describe(self) -> dict[str, Any]:
        return {
            "min_date": str(self.min_date),
            "max_date": str(self.max_date),
            "max_abs_value": self.max_abs_value,
            "max_abs_volume": self.max_abs_volume,
            "accept_unterminated_last_line": self.accept_unterminated_last_line,
        }


def _positive(name: str, value: object) -> float:
    """A positive finite number parameter, or ``InputError`` naming it."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = math.nan
    if not (math.isfinite(number) and number > 0):
        raise InputError(f"{name} must be a positive finite number, got {value!r}")
    return number


def _day(name: str, value: object) -> np.datetime64:
    """A date parameter (``YYYY-MM-DD`` text, a date or a timestamp) as a day."""
    if isinstance(value, datetime | pd.Timestamp):
        value = value.date()
    if isinstance(value, date):
        return np.datetime64(value, "D")
    try:
        return np.datetime64(datetime.strptime(str(value).strip(), DATE_FORMAT), "D")
    except ValueError:
        raise InputError(
            f"{name} must be a date written YYYY-MM-DD, got {value!r}"
        ) from None


def validation_bounds(validation: dict[str, Any], run_date: object = None) -> Bounds:
    """``Bounds`` of the ``validation`` parameters and the run date (``YYYYMMDD``;
    None is today): days from ``validation.min_date`` to ``run_date`` + 1 day."""
    try:
        day = datetime.strptime(resolve_run_date(run_date), "%Y%m%d").date()
    except ValueError as error:
        raise InputError(str(error)) from None
    return Bounds.of(
        min_date=validation.get("min_date", MIN_DATE),
        max_date=day + timedelta(days=1),
        max_abs_value=validation.get("max_abs_value", MAX_ABS_VALUE),
        accept_unterminated_last_line=validation.get(
            "accept_unterminated_last_line", False
        ),
        max_abs_volume=validation.get("max_abs_volume", MAX_ABS_VOLUME),
    )


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
        for values, limit in ((prices, bounds.max_abs_value), (volumes, bounds.max_abs_volume)):
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
            _out_of_range(
                prices, [typed.numbers[c] for c in VOLUME_COLUMNS], bounds
            ),
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
    bounds: Bounds | None = None,
    unterminated_last_line: bool = False,
) -> dict[str, Any]:
    """The JSON validation report (both engines), logging its warnings."""
    bounds = bounds or Bounds.of()
    quarantined = sum(counts.values())
    if quarantined:
        logger.warning("Quarantined %d raw rows: %s", quarantined, _summary(counts))
    warnings: dict[str, Any] = {"date_gaps": gaps}
    if unterminated_last_line:
        warnings["unterminated_last_line"] = _unterminated_sentence(bounds)
        logger.warning("%s", warnings["unterminated_last_line"])
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
        "accepted": bounds.describe(),
        "unterminated_last_line": unterminated_last_line,
        "warnings": warnings,
    }


def _unterminated_sentence(bounds: Bounds) -> str:
    if bounds.accept_unterminated_last_line:
        return (
            "the raw file does not end with a line break; its last line was validated "
            "like any other row because validation.accept_unterminated_last_line is true"
        )
    return (
        "the raw file does not end with a line break, so its last line may have been "
        "cut short (an interrupted download): that row was quarantined as "
        "linha_incompleta; fetch the file again, or set "
        "validation.accept_unterminated_last_line: true if it is complete"
    )


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
        gaps=_date_gaps(candles, asset_code),
        bounds=bounds,
        unterminated_last_line=incomplete is not None,
    )
    return ValidationResult(candles=candles, quarantine=quarantine, report=report)
