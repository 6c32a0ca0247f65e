"""Validation of raw candles: every row judged by the contract's rules.

``rows``: the rules, quarantine, exact duplicates and clean typed candles
(``validate_candles``); ``bounds``: the ``validation`` parameters (dates, value
ranges, the last line); ``report``: the JSON report and the quarantine-share limit.
Both engines (local and Spark) use these functions.
"""

from criptos.validation.bounds import (
    MAX_ABS_VALUE,
    MAX_ABS_VOLUME,
    MIN_DATE,
    RATIO_HEADROOM,
    Bounds,
    validation_bounds,
)
from criptos.validation.report import (
    QuarantineLimitExceeded,
    build_report,
    check_quarantine_share,
    date_gaps,
    summarise_gaps,
)
from criptos.validation.rows import (
    REASON_COLUMN,
    RULES,
    ValidationResult,
    unterminated_row,
    validate_candles,
)

__all__ = [
    "MAX_ABS_VALUE",
    "MAX_ABS_VOLUME",
    "MIN_DATE",
    "RATIO_HEADROOM",
    "REASON_COLUMN",
    "RULES",
    "Bounds",
    "QuarantineLimitExceeded",
    "ValidationResult",
    "build_report",
    "check_quarantine_share",
    "date_gaps",
    "summarise_gaps",
    "unterminated_row",
    "validate_candles",
    "validation_bounds",
]
