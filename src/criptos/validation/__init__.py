"""Validation of raw candles: every row judged by the contract's rules.

``rules``: the row rules as ``(name, predicate)`` pairs (``ROW_RULES``) and every
quarantine reason in order (``RULES``); ``duplicates``: exact duplicates and
conflicting rows of one (ativo, data); ``rows``: ``validate_candles``, which applies
them and returns clean typed candles, the quarantine and the report; ``params`` and
``bounds``: the ``validation`` parameters (dates, value ranges, the last line), typed
and checked; ``report``: the JSON report and the quarantine-share limit. Both engines
use these functions (the Spark engine runs ``validate_candles`` once per asset).
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
    ValidationResult,
    unterminated_row,
    validate_candles,
)
from criptos.validation.rules import CONFLICT_RULE, ROW_RULES, RULES

__all__ = [
    "CONFLICT_RULE",
    "MAX_ABS_VALUE",
    "MAX_ABS_VOLUME",
    "MIN_DATE",
    "RATIO_HEADROOM",
    "REASON_COLUMN",
    "ROW_RULES",
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
