"""The run date that names the dated feature file (``cripto_features_<YYYYMMDD>``)."""

from __future__ import annotations

from datetime import UTC, datetime


def resolve_run_date(value: object = None) -> str:
    """Return ``value`` as a checked ``YYYYMMDD`` string, or today's UTC date.

    Used as the ``${run_date:...}`` resolver in the catalog, fed by
    ``--params run_date=YYYYMMDD`` for backfills. The CLI may hand the value over as
    an int (YAML parsing), so it is normalised to text first.
    """
    if value is None or str(value).strip() in {"", "today", "None", "null"}:
        return datetime.now(UTC).strftime("%Y%m%d")
    text = str(value).strip()
    try:
        parsed = datetime.strptime(text, "%Y%m%d")
    except ValueError:
        raise ValueError(
            f"run_date must be a calendar date written YYYYMMDD (e.g. 20240131), got {text!r}"
        ) from None
    if len(text) != 8:
        raise ValueError(f"run_date must have exactly 8 digits YYYYMMDD, got {text!r}")
    return parsed.strftime("%Y%m%d")
