"""The validation report (both engines) and the quarantine-share limit."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from criptos.contracts.errors import InputError
from criptos.validation.bounds import DATE_FORMAT, Bounds

logger = logging.getLogger(__name__)

_MAX_GAPS_LISTED_PER_ASSET = 5


class QuarantineLimitExceeded(InputError):
    """Too many rows broke the rules: the feed is treated as broken, not trimmed."""


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


def date_gaps(
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
