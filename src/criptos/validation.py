"""Row-level validation of raw candles: typed clean rows, quarantine and a report.

File-level problems are caught earlier by ``criptos.raw_contract``; here every row is
judged on its own (and against rows of the same asset and date). A row that breaks a
rule is quarantined with the first rule it breaks, in the order of ``RULES``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from criptos.raw_contract import (
    MALFORMED_LINE_COLUMN,
    PRICE_COLUMNS,
    RAW_COLUMNS,
    VOLUME_COLUMNS,
    RawFileError,
)

logger = logging.getLogger(__name__)

REASON_COLUMN = "motivo"
DATE_FORMAT = "%Y-%m-%d"
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


class QuarantineLimitExceeded(ValueError):
    """Too many rows broke the rules: the feed is treated as broken, not trimmed."""


@dataclass(frozen=True)
class ValidationResult:
    """Clean typed candles, the quarantined raw rows and the JSON-ready report."""

    candles: pd.DataFrame
    quarantine: pd.DataFrame
    report: dict[str, Any]


def _to_number(text: pd.Series) -> pd.Series:
    """Parse text to float64; anything unparseable or infinite becomes NaN."""
    numbers = pd.to_numeric(text.str.strip(), errors="coerce").astype("float64")
    return numbers.where(np.isfinite(numbers))


def _typed_candles(rows: pd.DataFrame) -> pd.DataFrame:
    """Typed view of the raw text rows; unparseable cells become missing."""
    typed = pd.DataFrame(index=rows.index)
    typed["ativo"] = rows["ativo"].str.strip().str.upper()
    typed["data"] = pd.to_datetime(
        rows["data"].str.strip(), format=DATE_FORMAT, errors="coerce"
    ).astype("datetime64[ns]")
    for column in (*PRICE_COLUMNS, *VOLUME_COLUMNS):
        typed[column] = _to_number(rows[column])
    return typed


def _row_reasons(rows: pd.DataFrame, typed: pd.DataFrame) -> pd.Series:
    """The first broken rule of every row, or NA for a valid row."""
    prices = typed[list(PRICE_COLUMNS)]
    body_top = typed[["abertura", "fechamento"]].max(axis=1)
    body_bottom = typed[["abertura", "fechamento"]].min(axis=1)
    volume_text_present = rows[list(VOLUME_COLUMNS)].notna()
    volume_bad = (volume_text_present & typed[list(VOLUME_COLUMNS)].isna()) | (
        typed[list(VOLUME_COLUMNS)] < 0
    )
    checks = [
        ("linha_malformada", rows[MALFORMED_LINE_COLUMN].notna()),
        ("ativo_ausente", typed["ativo"].isna() | (typed["ativo"] == "")),
        ("data_invalida", typed["data"].isna()),
        ("preco_ausente_ou_nao_numerico", prices.isna().any(axis=1)),
        ("preco_nao_positivo", (prices <= 0).any(axis=1)),
        ("maximo_abaixo_de_abertura_ou_fechamento", typed["maximo"] < body_top),
        ("minimo_acima_de_abertura_ou_fechamento", typed["minimo"] > body_bottom),
        ("volume_invalido", volume_bad.any(axis=1)),
    ]
    reasons = pd.Series(pd.NA, index=rows.index, dtype="object")
    for rule, broken in checks:
        reasons = reasons.mask(reasons.isna() & broken.to_numpy(), rule)
    return reasons


def _date_gaps(candles: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Calendar gaps per asset in sorted clean candles (warnings, not errors)."""
    step = candles["data"].diff().dt.days
    new_asset = candles["ativo"].ne(candles["ativo"].shift())
    gap_rows = candles.loc[~new_asset & (step > 1)].assign(missing=step - 1)
    gaps: dict[str, dict[str, Any]] = {}
    for asset, asset_gaps in gap_rows.groupby("ativo", sort=True):
        largest = asset_gaps.nlargest(_MAX_GAPS_LISTED_PER_ASSET, "missing")
        gaps[str(asset)] = {
            "gaps": len(asset_gaps),
            "missing_days": int(asset_gaps["missing"].sum()),
            "largest": [
                {
                    "resumes_on": day.strftime(DATE_FORMAT),
                    "missing_days": int(missing),
                }
                for day, missing in zip(largest["data"], largest["missing"], strict=True)
            ],
        }
    return gaps


def _without_exact_duplicates(raw: pd.DataFrame) -> pd.DataFrame:
    """Drop repeated identical rows, hashing whole rows only where the key repeats."""
    same_key = raw.duplicated(subset=["ativo", "data"], keep=False)
    if not same_key.any():
        return raw
    repeated = raw.loc[same_key].duplicated(keep="first")
    return raw.drop(index=repeated[repeated].index)


def validate_candles(raw: pd.DataFrame, max_quarantine_share: float) -> ValidationResult:
    """Split raw text rows into clean typed candles and quarantined rows.

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

    rows = _without_exact_duplicates(raw)
    exact_duplicates = rows_read - len(rows)
    typed = _typed_candles(rows)
    reasons = _row_reasons(rows, typed)

    valid = reasons.isna()
    key = typed.loc[valid, ["ativo", "data"]]
    conflicting = key.duplicated(keep=False)
    reasons.loc[conflicting[conflicting].index] = "conflito_ativo_data"

    quarantined = reasons.notna()
    counts = {rule: int((reasons == rule).sum()) for rule in RULES}
    share = float(quarantined.sum()) / rows_read
    summary = ", ".join(f"{rule}={n}" for rule, n in counts.items() if n)
    if share > max_quarantine_share:
        raise QuarantineLimitExceeded(
            f"{int(quarantined.sum())} of {rows_read} raw rows ({share:.1%}) broke validation "
            f"rules, above validation.max_quarantine_share={max_quarantine_share:.1%}; "
            f"refusing to build features from a broken feed ({summary})"
        )

    candles = (
        typed.loc[~quarantined]
        .sort_values(["ativo", "data"], kind="stable")
        .reset_index(drop=True)
    )
    quarantine = rows.loc[quarantined, [*RAW_COLUMNS, MALFORMED_LINE_COLUMN]].assign(
        **{REASON_COLUMN: reasons[quarantined]}
    )
    gaps = _date_gaps(candles)
    if quarantined.any():
        logger.warning("Quarantined %d raw rows: %s", int(quarantined.sum()), summary)
    if gaps:
        logger.warning(
            "Date gaps in %d asset(s): %s",
            len(gaps),
            ", ".join(f"{asset} ({g['missing_days']} days)" for asset, g in list(gaps.items())[:10]),
        )
    report = {
        "rows_read": rows_read,
        "rows_valid": len(candles),
        "rows_quarantined": int(quarantined.sum()),
        "quarantine_share": round(share, 6),
        "max_quarantine_share": max_quarantine_share,
        "exact_duplicates_removed": exact_duplicates,
        "quarantined_by_rule": counts,
        "assets": int(candles["ativo"].nunique()),
        "date_range": {
            "start": candles["data"].min().strftime(DATE_FORMAT) if len(candles) else None,
            "end": candles["data"].max().strftime(DATE_FORMAT) if len(candles) else None,
        },
        "warnings": {"date_gaps": gaps},
    }
    return ValidationResult(candles=candles, quarantine=quarantine, report=report)
