"""The row rules of validation: one list of ``(name, predicate)`` pairs.

Each predicate takes the ``RawRows`` of a file (the text as read, its typed view,
the bounds) and says, per row, whether the rule is broken. A row that breaks several
rules is quarantined with the first one, in the order of ``ROW_RULES``; rows of one
(ativo, data) that still disagree after that are quarantined as ``CONFLICT_RULE``
(decided across rows, in ``criptos.validation.duplicates``). Both engines run these
predicates through ``validate_candles`` (Spark once per asset); ``RULES`` names every
quarantine reason, in that order, for the report.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from criptos.contracts import text_columns
from criptos.contracts.raw_file import (
    MALFORMED_LINE_COLUMN,
    PRICE_COLUMNS,
    VOLUME_COLUMNS,
)
from criptos.validation.bounds import Bounds

_PARSE_THREADS = 2
_SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class TypedRows:
    """Typed view of the raw text rows; unparseable cells are NaN / NaT / code -1."""

    asset_code: np.ndarray  # index into ``asset_labels``, -1 for a missing/blank asset
    asset_labels: np.ndarray
    dates: np.ndarray  # datetime64[D] (no wrap-around: any year), NaT if invalid
    timestamps: np.ndarray  # float64 as written (seconds or ms), NaN if not a number
    numbers: dict[str, np.ndarray]

    @classmethod
    def parse(cls, rows: pd.DataFrame) -> TypedRows:
        """Parse every column; Arrow's kernels release the GIL, so columns run in
        parallel."""
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
            return cls(
                asset_code=codes,
                asset_labels=asset_labels,
                dates=dates.result(),
                timestamps=timestamps.result(),
                numbers={column: future.result() for column, future in numbers.items()},
            )


def present(rows: pd.DataFrame, column: str) -> np.ndarray:
    """Whether each row has a value (text, or a number the reader parsed) in ``column``."""
    values = rows[column]
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return ~np.isnan(values.to_numpy(dtype=np.float64, na_value=np.nan))
    valid = pc.is_valid(text_columns.as_arrow(values))
    return np.asarray(valid.to_numpy(zero_copy_only=False), dtype=bool)


@dataclass(frozen=True)
class RawRows:
    """What every rule predicate sees: the raw rows, their typed view, the bounds and
    the row of an unterminated last line (None: the file ends with a line break)."""

    raw: pd.DataFrame
    typed: TypedRows
    bounds: Bounds
    unterminated: int | None

    def present(self, column: str) -> np.ndarray:
        return present(self.raw, column)

    @property
    def prices(self) -> list[np.ndarray]:
        return [self.typed.numbers[column] for column in PRICE_COLUMNS]

    @property
    def volumes(self) -> list[np.ndarray]:
        return [self.typed.numbers[column] for column in VOLUME_COLUMNS]

    def price(self, column: str) -> np.ndarray:
        return self.typed.numbers[column]


Predicate = Callable[[RawRows], np.ndarray]


def _cut_short(rows: RawRows) -> np.ndarray:
    """The file's last line has no line break (unless that is accepted)."""
    broken = np.zeros(len(rows.raw), dtype=bool)
    if rows.unterminated is not None and not rows.bounds.accept_unterminated_last_line:
        broken[rows.unterminated] = True
    return broken


def _outside_dates(rows: RawRows) -> np.ndarray:
    """The day lies outside ``[min_date, max_date]``."""
    dates = rows.typed.dates
    return (dates < rows.bounds.min_date) | (dates > rows.bounds.max_date)


def _timestamp_diverges(rows: RawRows) -> np.ndarray:
    """A timestamp is written and is not 00:00 UTC of the row's day (s or ms)."""
    seconds = text_columns.timestamp_seconds(rows.typed.timestamps)
    midnight = rows.typed.dates.view(np.int64).astype(np.float64) * _SECONDS_PER_DAY
    return rows.present("timestamp") & ~(seconds == midnight)


def _out_of_range(rows: RawRows) -> np.ndarray:
    """Some price (volume) is infinite, larger in magnitude than ``max_abs_value``
    (``max_abs_volume``), or non-zero and so small that a ratio to it would overflow
    (missing values are not)."""
    bounds = rows.bounds
    out = np.zeros(len(rows.raw), dtype=bool)
    for values, limit in (
        (rows.prices, bounds.max_abs_value),
        (rows.volumes, bounds.max_abs_volume),
    ):
        for value in values:
            magnitude = np.abs(value)
            out |= magnitude > limit  # inf too, NaN not
            out |= (magnitude < bounds.min_abs_value) & (magnitude > 0)
    return out


def _high_below_body(rows: RawRows) -> np.ndarray:
    return rows.price("maximo") < np.fmax(
        rows.price("abertura"), rows.price("fechamento")
    )


def _low_above_body(rows: RawRows) -> np.ndarray:
    return rows.price("minimo") > np.fmin(
        rows.price("abertura"), rows.price("fechamento")
    )


def _volume_invalid(rows: RawRows) -> np.ndarray:
    """A volume is written but is not a number, or is negative."""
    bad = np.zeros(len(rows.raw), dtype=bool)
    for column, value in zip(VOLUME_COLUMNS, rows.volumes, strict=True):
        bad |= (rows.present(column) & np.isnan(value)) | (value < 0)
    return bad


# The quarantine reasons decided row by row, in the order they are checked.
ROW_RULES: tuple[tuple[str, Predicate], ...] = (
    ("linha_incompleta", _cut_short),
    ("linha_malformada", lambda rows: rows.present(MALFORMED_LINE_COLUMN)),
    ("ativo_ausente", lambda rows: rows.typed.asset_code < 0),
    ("data_invalida", lambda rows: np.isnat(rows.typed.dates)),
    ("data_fora_do_intervalo", _outside_dates),
    ("timestamp_divergente", _timestamp_diverges),
    (
        "preco_ausente_ou_nao_numerico",
        lambda rows: np.logical_or.reduce([np.isnan(p) for p in rows.prices]),
    ),
    ("valor_fora_do_intervalo", _out_of_range),
    (
        "preco_nao_positivo",
        lambda rows: np.logical_or.reduce([p <= 0 for p in rows.prices]),
    ),
    ("maximo_abaixo_de_abertura_ou_fechamento", _high_below_body),
    ("minimo_acima_de_abertura_ou_fechamento", _low_above_body),
    ("volume_invalido", _volume_invalid),
)
# RawRows of one (ativo, data) that are each valid but disagree: decided across rows,
# after the row rules and the removal of exact duplicates.
CONFLICT_RULE = "conflito_ativo_data"
# Every quarantine reason, in the order it is decided (the report lists them all).
RULES: tuple[str, ...] = (*(name for name, _ in ROW_RULES), CONFLICT_RULE)


def rule_number(name: str) -> int:
    """The 1-based position of rule ``name`` in ``RULES`` (0 means: no rule broken)."""
    return RULES.index(name) + 1


def first_broken_rule(rows: RawRows) -> np.ndarray:
    """Per row, ``rule_number`` of the first row rule it breaks, or 0 for a valid row."""
    reasons = np.zeros(len(rows.raw), dtype=np.int8)
    with np.errstate(invalid="ignore"):
        for number, (_, broken) in enumerate(ROW_RULES, start=1):
            reasons[(reasons == 0) & broken(rows)] = number
    return reasons
